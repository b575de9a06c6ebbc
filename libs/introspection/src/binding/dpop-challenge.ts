import {
  BearerTokenException,
  DpopRequiredException,
  InvalidDpopProofException,
  UseDpopNonceException,
} from '../errors/bearer-token.exceptions';
import { type BearerChallenge, formatDpopChallenge, formatWwwAuthenticate } from '../errors/www-authenticate';
import type { DpopMode } from '../interfaces/dpop-options.interface';
import type { TokenScheme } from './token-binding.verifier';

/** What decides the DPoP challenge of a refused request. */
export interface DpopChallengeContext {
  /** The route's DPoP mode. */
  readonly mode: DpopMode;
  /** The scheme the request used, when it carried a token. */
  readonly scheme?: TokenScheme;
  /** The `algs` to advertise. */
  readonly algorithms: readonly string[];
}

/**
 * The `WWW-Authenticate` value when DPoP takes part (RFC 9449 §7.1, §7.2):
 * only a `DPoP` challenge on routes that require DPoP; a `Bearer` and a
 * `DPoP` challenge while bearer tokens are accepted and the request used
 * DPoP or needed to, the error on the challenge of the scheme at fault.
 * `undefined` when the plain Bearer challenge applies.
 * @param challenge the Bearer challenge of the exception, realm included
 * @internal
 */
export function dpopWwwAuthenticate(
  exception: BearerTokenException,
  challenge: BearerChallenge,
  context: DpopChallengeContext,
): string | undefined {
  const proofError =
    exception instanceof InvalidDpopProofException || exception instanceof UseDpopNonceException;
  const involved = proofError || context.scheme === 'dpop' || exception instanceof DpopRequiredException;
  if (context.mode === 'disabled' || (context.mode === 'allowed' && !involved)) {
    return undefined;
  }
  const onDpop = proofError || context.scheme === 'dpop' || context.mode === 'required';
  const bare: BearerChallenge = challenge.realm === undefined ? {} : { realm: challenge.realm };
  const dpop = formatDpopChallenge({ ...(onDpop ? challenge : bare), algs: context.algorithms });
  return context.mode === 'required' ? dpop : `${formatWwwAuthenticate(onDpop ? bare : challenge)}, ${dpop}`;
}
