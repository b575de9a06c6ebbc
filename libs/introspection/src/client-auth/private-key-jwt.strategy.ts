import { Injectable } from '@nestjs/common';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type {
  ResolvedIntrospectionOptions,
  ResolvedJwtSigningProfile,
} from '../interfaces/introspection-options.interface';
import { ClientAssertionStrategy } from './client-assertion.strategy';
import { isHmacAlgorithm } from './signing-algorithms';
import { importPrivateSigningKey, SigningKey } from './signing-key';

/**
 * `private_key_jwt`: a JWT client assertion signed with this API's private
 * key (RFC 7523 §2.2, OpenID Connect Core §9); the authorization server holds
 * the public key. RSA (RS*, PS*; 2048 bits or more), EC (ES256/384/512) and
 * Ed25519 (EdDSA) keys, given as PEM or JWK in `jwtSigningProfile`.
 *
 * @example
 * IntrospectionModule.forRoot({
 *   endpoint, issuer, clientId: 'orders-api',
 *   endpointAuthMethod: 'private_key_jwt',
 *   jwtSigningProfile: { signatureAlgorithm: 'ES256', keyFile: '/run/secrets/orders-api.pem' },
 * })
 */
@Injectable()
export class PrivateKeyJwtStrategy extends ClientAssertionStrategy {
  readonly method = 'private_key_jwt';
  protected readonly verificationKeyName = 'the public key of jwtSigningProfile.key';

  protected importKey(
    options: ResolvedIntrospectionOptions,
    profile: ResolvedJwtSigningProfile,
  ): Promise<SigningKey> {
    if (options.clientSecret !== undefined) {
      // As Couper does: a secret that is never used only widens what can leak.
      throw new IntrospectionConfigurationError(
        'clientSecret',
        'must not be set with private_key_jwt, which signs with jwtSigningProfile.key; remove it.',
      );
    }
    if (options.jwtSigningProfile === undefined) {
      throw new IntrospectionConfigurationError(
        'jwtSigningProfile',
        'is required for private_key_jwt: set signatureAlgorithm and key or keyFile (env INTROSPECTION_SIGNING_ALGORITHM with INTROSPECTION_SIGNING_KEY or INTROSPECTION_SIGNING_KEY_FILE).',
      );
    }
    const algorithm = profile.signatureAlgorithm;
    if (algorithm === undefined) {
      throw new IntrospectionConfigurationError(
        'jwtSigningProfile.signatureAlgorithm',
        'is required for private_key_jwt, e.g. RS256, PS256, ES256 or EdDSA.',
      );
    }
    if (isHmacAlgorithm(algorithm)) {
      throw new IntrospectionConfigurationError(
        'jwtSigningProfile.signatureAlgorithm',
        `${algorithm} signs with a shared secret, but private_key_jwt signs with a private key: use RS*, PS*, ES* or EdDSA, or endpointAuthMethod client_secret_jwt.`,
      );
    }
    return importPrivateSigningKey(profile, algorithm);
  }
}
