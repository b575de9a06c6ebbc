import {
  BearerTokenException,
  DpopRequiredException,
  InsufficientScopeException,
  InvalidDpopProofException,
  InvalidTokenException,
  MissingBearerTokenException,
  UseDpopNonceException,
} from '../errors/bearer-token.exceptions';
import { formatDpopChallenge } from '../errors/www-authenticate';
import { type DpopChallengeContext, dpopWwwAuthenticate } from './dpop-challenge';

const ALGS = ['ES256', 'PS256'];
const header = (exception: BearerTokenException, context: Partial<DpopChallengeContext>) =>
  dpopWwwAuthenticate(
    exception,
    { realm: 'api', ...exception.challenge() },
    { mode: 'allowed', algorithms: ALGS, ...context },
  );

describe('formatDpopChallenge', () => {
  it('puts realm and algs first, then the error', () => {
    expect(formatDpopChallenge({ algs: ALGS })).toBe('DPoP algs="ES256 PS256"');
    expect(
      formatDpopChallenge({
        realm: 'api',
        algs: ALGS,
        error: 'invalid_dpop_proof',
        errorDescription: 'Bad.',
      }),
    ).toBe('DPoP realm="api", algs="ES256 PS256", error="invalid_dpop_proof", error_description="Bad."');
  });
});

describe('dpopWwwAuthenticate (RFC 9449 §7)', () => {
  it('leaves plain Bearer requests to the Bearer challenge while bearer tokens are accepted', () => {
    expect(header(new InvalidTokenException(), { scheme: 'bearer' })).toBeUndefined();
    expect(header(new MissingBearerTokenException(), {})).toBeUndefined();
    expect(
      header(new InvalidDpopProofException('Bad.'), { mode: 'disabled', scheme: 'dpop' }),
    ).toBeUndefined();
  });

  it('puts a proof error on the DPoP challenge, Bearer beside it', () => {
    expect(header(new InvalidDpopProofException('Bad.'), { scheme: 'dpop' })).toBe(
      'Bearer realm="api", DPoP realm="api", algs="ES256 PS256", error="invalid_dpop_proof", error_description="Bad."',
    );
    expect(header(new UseDpopNonceException('n'), { scheme: 'dpop' })).toContain(
      'DPoP realm="api", algs="ES256 PS256", error="use_dpop_nonce"',
    );
  });

  it('puts the error of a DPoP-scheme request on the DPoP challenge', () => {
    expect(header(new InsufficientScopeException(['write']), { scheme: 'dpop' })).toBe(
      'Bearer realm="api", DPoP realm="api", algs="ES256 PS256", error="insufficient_scope", error_description="The access token lacks a required scope.", scope="write"',
    );
  });

  it('offers DPoP beside the Bearer error for a DPoP-bound token sent as Bearer', () => {
    expect(header(new DpopRequiredException('Use DPoP.'), { scheme: 'bearer' })).toBe(
      'Bearer realm="api", error="invalid_token", error_description="Use DPoP.", DPoP realm="api", algs="ES256 PS256"',
    );
  });

  it('challenges with DPoP only where DPoP is required', () => {
    expect(header(new MissingBearerTokenException(), { mode: 'required' })).toBe(
      'DPoP realm="api", algs="ES256 PS256"',
    );
    expect(header(new DpopRequiredException('Use DPoP.'), { mode: 'required', scheme: 'bearer' })).toBe(
      'DPoP realm="api", algs="ES256 PS256", error="invalid_token", error_description="Use DPoP."',
    );
  });
});
