import { createHash, timingSafeEqual } from 'node:crypto';
import { InvalidDpopProofException, UseDpopNonceException } from '../errors/bearer-token.exceptions';
import type { ResolvedDpopOptions } from '../interfaces/dpop-options.interface';
import { loadJose } from '../keys/jose';
import type { DpopNonces } from './dpop-nonces';
import { parseDpopProof } from './dpop-proof.parser';
import type { DpopReplayCache } from './dpop-replay-cache';
import { normalizeHtu } from './htu';

/** What a DPoP proof is checked against. */
export interface DpopProofContext {
  /** The `DPoP` header value(s) as the server parsed them. */
  readonly proof: string | readonly string[] | undefined;
  /** How many `DPoP` headers the request carried (from the raw headers). */
  readonly count: number;
  /** The request method. */
  readonly method: string;
  /** The normalised request URI without query ({@link requestUri}). */
  readonly htu: string | undefined;
  /** The access token sent with the `DPoP` scheme. */
  readonly accessToken: string;
  readonly nowMs: number;
  /** How far ahead of the local clock `iat` may be. */
  readonly skewMs: number;
}

/** The checks of RFC 9449 §4.3 against one request, with the state they need. */
export interface DpopProofChecks {
  readonly options: ResolvedDpopOptions;
  readonly replays: DpopReplayCache;
  readonly nonces?: DpopNonces;
}

/**
 * Verifies the DPoP proof of a request (RFC 9449 §4.3): one proof, its
 * syntax and header, the signature with its own `jwk`, `htm`, `htu`, `iat`
 * within `proofMaxAge` (and at most `skewMs` ahead), `ath`, the nonce when
 * nonces are on, and a `jti` not seen before. The `jti` is recorded only
 * once everything else holds.
 * @returns the JWK SHA-256 thumbprint (RFC 7638) of the proof's key, for `cnf.jkt`
 * @throws InvalidDpopProofException, UseDpopNonceException
 * @internal
 */
export async function verifyDpopProof(
  context: DpopProofContext,
  { options, replays, nonces }: DpopProofChecks,
  expectedJkt: string,
): Promise<void> {
  const values = typeof context.proof === 'string' ? [context.proof] : (context.proof ?? []);
  if (context.count > 1 || values.length > 1) {
    throw new InvalidDpopProofException('The request carries more than one DPoP header.');
  }
  if (values.length === 0 || values[0] === '') {
    throw new InvalidDpopProofException('The request carries no DPoP proof.');
  }
  const proof = parseDpopProof(values[0], options.algorithms);
  const jose = await loadJose('dpop');
  try {
    const key = await jose.importJWK(proof.jwk, proof.alg);
    await jose.compactVerify(proof.jws, key, { algorithms: [proof.alg] });
  } catch {
    throw new InvalidDpopProofException('The DPoP proof signature does not verify with its jwk.');
  }
  const { claims } = proof;
  if (claims.htm !== context.method) {
    throw new InvalidDpopProofException("The DPoP proof's htm is not the request method.");
  }
  if (context.htu === undefined || normalizeHtu(claims.htu) !== context.htu) {
    throw new InvalidDpopProofException("The DPoP proof's htu is not the request URI.");
  }
  const iatMs = claims.iat * 1000;
  if (iatMs < context.nowMs - options.proofMaxAgeMs) {
    throw new InvalidDpopProofException('The DPoP proof is too old (iat).');
  }
  if (iatMs > context.nowMs + context.skewMs) {
    throw new InvalidDpopProofException('The DPoP proof is issued in the future (iat).');
  }
  if (claims.ath === undefined || !sameText(claims.ath, accessTokenHash(context.accessToken))) {
    throw new InvalidDpopProofException("The DPoP proof's ath is not the hash of the access token.");
  }
  if (nonces && !nonces.accepts(claims.nonce)) {
    throw new UseDpopNonceException(nonces.current());
  }
  const jkt = await jose.calculateJwkThumbprint(proof.jwk, 'sha256');
  if (!sameText(jkt, expectedJkt)) {
    throw new InvalidDpopProofException(
      'The DPoP proof is not signed with the key the access token is bound to.',
    );
  }
  // Remembered for as long as the proof could pass the iat check (plus the skew).
  if (!(await replays.claim(jkt, claims.jti, options.proofMaxAgeMs + context.skewMs))) {
    throw new InvalidDpopProofException('The DPoP proof was used before (jti).');
  }
}

/** base64url(SHA-256(ASCII(token))): the `ath` claim (RFC 9449 §4.2). */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

function sameText(a: string, b: string): boolean {
  const [left, right] = [Buffer.from(a), Buffer.from(b)];
  return left.length === right.length && timingSafeEqual(left, right);
}
