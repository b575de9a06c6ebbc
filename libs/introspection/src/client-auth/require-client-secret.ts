import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';

/**
 * The client secret of secret-based methods, or a configuration error naming
 * the option when it is missing.
 * @internal
 */
export function requireClientSecret(options: ResolvedIntrospectionOptions): string {
  if (options.clientSecret === undefined) {
    throw new IntrospectionConfigurationError(
      'clientSecret',
      `is required by the "${options.endpointAuthMethod}" client authentication method.`,
    );
  }
  return options.clientSecret;
}
