/**
 * The asymmetric JWS algorithms jose verifies (RFC 7518 §3.1, RFC 8037,
 * RFC 9864): what a DPoP proof or a Security Event Token may be signed with.
 * Never `none`, never HMAC with a shared secret (RFC 8725 §3.1, §3.2).
 * @internal
 */
export const ASYMMETRIC_JWS_ALGORITHMS: readonly string[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];
