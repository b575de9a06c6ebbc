import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** CAEP `session-revoked` (OpenID CAEP 1.0 §3.1). */
export const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
/** CAEP `credential-change` (OpenID CAEP 1.0 §3.3). */
export const CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';

/** A test transmitter of Security Event Tokens: an ES256 key, its public JWK, and a signer. */
export interface SecurityEventTransmitter {
  readonly privateKey: CryptoKey;
  /** The public JWK (with `kid`) to serve in the transmitter's JWK Set. */
  readonly publicJwk: JWK;
  /**
   * A SET from `issuer` to `audience`, `iat` `nowS`, a fresh `jti`, the
   * `events` given (a session-revoked for `sub_id` opaque `alice` by
   * default); `claims` and `header` add to or replace what it has (a member
   * set to `undefined` is left out).
   */
  sign(claims?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
}

/** A {@link SecurityEventTransmitter} signing for `issuer` and `audience` at `nowS()` (seconds). */
export async function securityEventTransmitter({
  issuer,
  audience,
  nowS = () => Math.floor(Date.now() / 1000),
  kid = 'transmitter-1',
}: {
  issuer: string;
  audience: string;
  nowS?: () => number;
  kid?: string;
}): Promise<SecurityEventTransmitter> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return {
    privateKey,
    publicJwk,
    sign: (claims = {}, header = {}) =>
      new SignJWT(
        withoutUndefined({
          iss: issuer,
          aud: audience,
          iat: nowS(),
          jti: randomUUID(),
          sub_id: { format: 'opaque', id: 'alice' },
          events: { [SESSION_REVOKED]: {} },
          ...claims,
        }),
      )
        .setProtectedHeader(withoutUndefined({ alg: 'ES256', typ: 'secevent+jwt', kid, ...header }) as never)
        .sign(privateKey),
  };
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
