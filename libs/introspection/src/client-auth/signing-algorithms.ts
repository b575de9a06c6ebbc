import type { JwtSigningAlgorithm } from '../interfaces/introspection-options.interface';

/** What key an algorithm signs with (RFC 7518 §3.1, RFC 8037 §3.1). */
export type SigningKeyKind =
  | { readonly type: 'hmac'; readonly hash: string; readonly minSecretBytes: number }
  | { readonly type: 'rsa' }
  | { readonly type: 'ec'; readonly curve: string; readonly jwkCurve: string }
  | { readonly type: 'ed25519' };

/**
 * Every algorithm a client assertion may be signed with, and its key.
 * @internal
 */
export const SIGNING_ALGORITHMS: Readonly<Record<JwtSigningAlgorithm, SigningKeyKind>> = {
  // RFC 7518 §3.2: the HMAC key must be at least as long as the hash output.
  HS256: { type: 'hmac', hash: 'SHA-256', minSecretBytes: 32 },
  HS384: { type: 'hmac', hash: 'SHA-384', minSecretBytes: 48 },
  HS512: { type: 'hmac', hash: 'SHA-512', minSecretBytes: 64 },
  RS256: { type: 'rsa' },
  RS384: { type: 'rsa' },
  RS512: { type: 'rsa' },
  PS256: { type: 'rsa' },
  PS384: { type: 'rsa' },
  PS512: { type: 'rsa' },
  ES256: { type: 'ec', curve: 'prime256v1', jwkCurve: 'P-256' },
  ES384: { type: 'ec', curve: 'secp384r1', jwkCurve: 'P-384' },
  ES512: { type: 'ec', curve: 'secp521r1', jwkCurve: 'P-521' },
  EdDSA: { type: 'ed25519' },
};

/**
 * Whether `value` names a supported algorithm.
 * @internal
 */
export function isSigningAlgorithm(value: unknown): value is JwtSigningAlgorithm {
  return typeof value === 'string' && Object.hasOwn(SIGNING_ALGORITHMS, value);
}

/**
 * Whether `alg` is an HMAC algorithm (`client_secret_jwt`).
 * @internal
 */
export function isHmacAlgorithm(alg: JwtSigningAlgorithm): boolean {
  return SIGNING_ALGORITHMS[alg].type === 'hmac';
}
