import { Injectable } from '@nestjs/common';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type {
  ResolvedIntrospectionOptions,
  ResolvedJwtSigningProfile,
} from '../interfaces/introspection-options.interface';
import { ClientAssertionStrategy } from './client-assertion.strategy';
import { requireClientSecret } from './require-client-secret';
import { isHmacAlgorithm } from './signing-algorithms';
import { importHmacSigningKey, SigningKey } from './signing-key';

/**
 * `client_secret_jwt`: a JWT client assertion signed with HMAC (HS256 by
 * default, HS384, HS512) keyed with the UTF-8 bytes of `clientSecret`
 * (RFC 7523 §2.2, OpenID Connect Core §9). The secret itself never travels.
 *
 * @example
 * IntrospectionModule.forRoot({
 *   endpoint, issuer, clientId: 'orders-api', clientSecret,
 *   endpointAuthMethod: 'client_secret_jwt',
 * })
 */
@Injectable()
export class ClientSecretJwtStrategy extends ClientAssertionStrategy {
  readonly method = 'client_secret_jwt';
  protected readonly verificationKeyName = 'the same client secret';

  protected importKey(
    options: ResolvedIntrospectionOptions,
    profile: ResolvedJwtSigningProfile,
  ): Promise<SigningKey> {
    const algorithm = profile.signatureAlgorithm ?? 'HS256';
    if (!isHmacAlgorithm(algorithm)) {
      throw new IntrospectionConfigurationError(
        'jwtSigningProfile.signatureAlgorithm',
        `${algorithm} signs with a private key, but client_secret_jwt signs with clientSecret: use HS256, HS384 or HS512, or endpointAuthMethod private_key_jwt.`,
      );
    }
    if (profile.key !== undefined || profile.keyFile !== undefined) {
      throw new IntrospectionConfigurationError(
        profile.key !== undefined ? 'jwtSigningProfile.key' : 'jwtSigningProfile.keyFile',
        'is not used by client_secret_jwt, which signs with clientSecret: remove it, or use endpointAuthMethod private_key_jwt.',
      );
    }
    return importHmacSigningKey(requireClientSecret(options), algorithm, profile.keyId);
  }
}
