import { Injectable } from '@nestjs/common';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { ClientAuthRequest, ClientAuthStrategy } from './client-auth-strategy.interface';
import { requireClientSecret } from './require-client-secret';

/**
 * `client_secret_post`: client id and secret as form parameters in the
 * request body (RFC 6749 §2.3.1).
 */
@Injectable()
export class ClientSecretPostStrategy implements ClientAuthStrategy {
  readonly method = 'client_secret_post';

  init(options: ResolvedIntrospectionOptions): void {
    requireClientSecret(options);
  }

  authenticate(request: ClientAuthRequest, options: ResolvedIntrospectionOptions): void {
    const secret = requireClientSecret(options);
    request.body.set('client_id', options.clientId);
    request.body.set('client_secret', secret);
  }
}
