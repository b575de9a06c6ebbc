import type { JWTHeaderParameters } from 'jose';
import { randomUUID } from 'node:crypto';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type {
  ResolvedIntrospectionOptions,
  ResolvedJwtSigningProfile,
} from '../interfaces/introspection-options.interface';
import { JWT_BEARER_ASSERTION_TYPE } from '../introspection.constants';
import { loadJose } from '../keys/jose';
import type { ClientAuthRequest } from './client-auth-strategy.interface';
import type { SigningKey } from './signing-key';

/**
 * Signs JWT client assertions (RFC 7523 §3 as updated by RFC 10070, OpenID
 * Connect Core §9) with a key imported once at boot: every call only builds
 * the claims and signs.
 * @internal
 */
export class ClientAssertionSigner {
  private readonly header: JWTHeaderParameters;

  constructor(
    private readonly signingKey: SigningKey,
    private readonly clientId: string,
    /** The `aud` claim: one string, the authorization server's issuer by default. */
    readonly audience: string,
    private readonly profile: ResolvedJwtSigningProfile,
  ) {
    this.header = {
      ...profile.headers,
      alg: signingKey.algorithm,
      ...(profile.typ === undefined ? {} : { typ: profile.typ }),
      ...(signingKey.keyId === undefined ? {} : { kid: signingKey.keyId }),
    };
  }

  /** The `kid` header sent, if any. */
  get keyId(): string | undefined {
    return this.signingKey.keyId;
  }

  /** The `alg` header sent. */
  get algorithm(): string {
    return this.signingKey.algorithm;
  }

  /** A new assertion, valid from `now` for the profile's ttl, with a fresh `jti`. */
  async sign(now = Date.now()): Promise<string> {
    const iat = Math.floor(now / 1000);
    const claims = {
      ...this.profile.claims,
      iss: this.clientId,
      sub: this.clientId,
      aud: this.audience,
      // A fresh random id for every request and retry: servers reject a
      // replayed jti (RFC 7523 §3 item 7).
      jti: randomUUID(),
      iat,
      exp: iat + this.profile.ttlSeconds,
    };
    const { SignJWT } = await loadJose('clientAuthMethod');
    return new SignJWT(claims).setProtectedHeader(this.header).sign(this.signingKey.key);
  }

  /**
   * Signs once at boot, so that settings jose refuses (e.g. a `crit` header,
   * a claim that is not JSON) stop the application instead of every request.
   * @throws IntrospectionConfigurationError
   */
  async verifyCanSign(): Promise<void> {
    try {
      await this.sign();
    } catch (error) {
      if (error instanceof IntrospectionConfigurationError) {
        throw error;
      }
      // jose's messages name header parameters and algorithms, not key material.
      throw new IntrospectionConfigurationError(
        'jwtSigningProfile',
        `a client assertion cannot be signed with these settings (check claims and headers): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

/**
 * The `aud` of client assertions: `jwtSigningProfile.audience`, else the
 * `issuer` (RFC 10070 requires exactly the issuer identifier).
 * @throws IntrospectionConfigurationError when neither is set
 * @internal
 */
export function clientAssertionAudience(options: ResolvedIntrospectionOptions): string {
  const audience = options.jwtSigningProfile?.audience ?? options.issuer;
  if (audience === undefined) {
    throw new IntrospectionConfigurationError(
      'issuer',
      `is required by ${options.endpointAuthMethod}: a client assertion's "aud" is the authorization server's issuer identifier (RFC 10070). Set issuer, or jwtSigningProfile.audience for a server that wants another value.`,
    );
  }
  return audience;
}

/**
 * Puts a client assertion into the form body (RFC 7523 §2.2); no
 * Authorization header is sent with it.
 * @internal
 */
export function addClientAssertion(request: ClientAuthRequest, assertion: string): void {
  request.body.set('client_assertion_type', JWT_BEARER_ASSERTION_TYPE);
  request.body.set('client_assertion', assertion);
}
