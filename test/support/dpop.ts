import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { createHash, randomUUID } from 'node:crypto';
import { demoClients } from '../../apps/demo/src/embedded-authorization-server';
import type { TestAuthorizationServer } from './authorization-server';
import { recordSecret } from './log-capture';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** What one proof says; each member may be replaced or removed (`undefined`) by a test. */
export interface ProofClaims {
  htm?: string;
  htu?: string;
  iat?: number;
  jti?: string;
  ath?: string;
  nonce?: string;
  [claim: string]: unknown;
}

/** A DPoP key pair held by a test client (RFC 9449 §4), signing its proofs. */
export class DpopKey {
  private constructor(
    readonly alg: string,
    private readonly privateKey: PrivateKey,
    /** The public JWK, as the `jwk` header carries it. */
    readonly jwk: JWK,
    /** The private JWK, for the test that puts it in the header. */
    readonly privateJwk: JWK,
  ) {}

  static async generate(alg = 'ES256'): Promise<DpopKey> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    recordSecret(privateJwk.d);
    return new DpopKey(alg, privateKey, await exportJWK(publicKey), privateJwk);
  }

  /** The JWK SHA-256 thumbprint (RFC 7638): the `cnf.jkt` of tokens bound to this key. */
  thumbprint(): Promise<string> {
    return calculateJwkThumbprint(this.jwk, 'sha256');
  }

  /**
   * A signed proof. Claims default to a fresh `jti` and `iat` now (or
   * `nowMs`); `header` adds to or replaces the protected header.
   */
  proof(claims: ProofClaims, header: Record<string, unknown> = {}, nowMs = Date.now()): Promise<string> {
    const payload = Object.fromEntries(
      Object.entries({ jti: randomUUID(), iat: Math.floor(nowMs / 1000), ...claims }).filter(
        ([, value]) => value !== undefined,
      ),
    );
    return new SignJWT(payload)
      .setProtectedHeader({ alg: this.alg, typ: 'dpop+jwt', jwk: this.jwk, ...header })
      .sign(this.privateKey);
  }

  /** A proof for a request to the API with `token`. */
  proofFor(
    method: string,
    htu: string,
    token: string,
    extra: ProofClaims = {},
    nowMs?: number,
  ): Promise<string> {
    return this.proof({ htm: method, htu, ath: ath(token), ...extra }, {}, nowMs);
  }
}

/** base64url(SHA-256(token)): a proof's `ath`. */
export const ath = (token: string): string => createHash('sha256').update(token).digest('base64url');

/**
 * Obtains a DPoP-bound access token (`cnf.jkt` of `key`) from the real
 * oidc-provider with the client credentials grant, as the demo's token client.
 */
export async function mintDpopToken(
  as: TestAuthorizationServer,
  key: DpopKey,
  scope = 'read:payments',
): Promise<string> {
  return as.mintToken(scope, undefined, demoClients().tokenClient, {
    dpop: await key.proof({ htm: 'POST', htu: as.tokenEndpoint }),
  });
}

/** `Authorization: DPoP <token>` and `DPoP: <proof>` headers; the token is recorded for the log-hygiene check. */
export const dpopHeaders = (token: string, proof?: string | string[]): Record<string, string | string[]> => {
  recordSecret(token);
  return { authorization: `DPoP ${token}`, ...(proof === undefined ? {} : { dpop: proof }) };
};
