import { InvalidDpopProofException } from '../errors/bearer-token.exceptions';

/** Longest DPoP header read; an RSA-4096 proof is about 1.5 kB. */
export const MAX_DPOP_PROOF_LENGTH = 8192;
/** Members that only private (or symmetric) JWKs have (RFC 7518 §6, RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];
const KEY_TYPES = new Set(['EC', 'RSA', 'OKP']);
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A DPoP proof whose syntax and header checked out; the signature is not verified yet. */
export interface ParsedDpopProof {
  /** The compact JWS as received. */
  readonly jws: string;
  readonly alg: string;
  /** The public key of the `jwk` header. */
  readonly jwk: Readonly<Record<string, unknown>>;
  readonly claims: DpopProofClaims;
}

/** The claims of a DPoP proof (RFC 9449 §4.2). */
export interface DpopProofClaims {
  readonly jti: string;
  readonly htm: string;
  readonly htu: string;
  readonly iat: number;
  readonly ath?: string;
  readonly nonce?: string;
}

/**
 * Parses a DPoP proof and checks what can be checked without the request:
 * a compact JWS, `typ` `dpop+jwt`, an `alg` from `algorithms`, a public
 * `jwk`, and claims of the right types (RFC 9449 §4.2, §4.3 steps 2-6).
 * @throws InvalidDpopProofException (401 `invalid_dpop_proof`) saying what is wrong
 * @internal
 */
export function parseDpopProof(value: string, algorithms: readonly string[]): ParsedDpopProof {
  if (value.length > MAX_DPOP_PROOF_LENGTH) {
    throw new InvalidDpopProofException('The DPoP proof is too long.');
  }
  const segments = value.split('.');
  if (segments.length !== 3 || !segments.every((segment) => BASE64URL.test(segment))) {
    throw new InvalidDpopProofException('The DPoP proof is not a compact JWS.');
  }
  const header = jsonObject(segments[0], 'header');
  const { typ } = header;
  // Exactly the value RFC 9449 §4.3 names: one spelling, nothing to normalise.
  if (typ !== 'dpop+jwt') {
    throw new InvalidDpopProofException("The DPoP proof's typ is not dpop+jwt.");
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || !algorithms.includes(alg)) {
    throw new InvalidDpopProofException(`The DPoP proof's alg is not one of ${algorithms.join(', ')}.`);
  }
  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new InvalidDpopProofException('The DPoP proof has no jwk header.');
  }
  const key = jwk as Record<string, unknown>;
  if (!KEY_TYPES.has(key.kty as string)) {
    throw new InvalidDpopProofException("The DPoP proof's jwk is not an asymmetric public key.");
  }
  if (PRIVATE_MEMBERS.some((member) => member in key)) {
    throw new InvalidDpopProofException("The DPoP proof's jwk holds a private key.");
  }
  return { jws: value, alg, jwk: key, claims: proofClaims(jsonObject(segments[1], 'payload')) };
}

function proofClaims(payload: Record<string, unknown>): DpopProofClaims {
  const { jti, htm, htu, iat, ath, nonce } = payload;
  const text = (member: unknown, max: number) =>
    typeof member === 'string' && member.length > 0 && member.length <= max;
  if (!text(jti, 512)) {
    throw new InvalidDpopProofException('The DPoP proof has no jti.');
  }
  if (!text(htm, 32) || !text(htu, MAX_DPOP_PROOF_LENGTH)) {
    throw new InvalidDpopProofException('The DPoP proof has no htm or htu.');
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw new InvalidDpopProofException('The DPoP proof has no iat.');
  }
  if ((ath !== undefined && typeof ath !== 'string') || (nonce !== undefined && typeof nonce !== 'string')) {
    throw new InvalidDpopProofException("The DPoP proof's ath or nonce is not a string.");
  }
  return {
    jti: jti as string,
    htm: htm as string,
    htu: htu as string,
    iat,
    ...(ath === undefined ? {} : { ath }),
    ...(nonce === undefined ? {} : { nonce }),
  };
}

function jsonObject(segment: string, part: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidDpopProofException(`The DPoP proof's ${part} is not a JSON object.`);
  }
  return parsed as Record<string, unknown>;
}
