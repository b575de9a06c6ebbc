import { Injectable } from '@nestjs/common';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { ClientAuthRequest, ClientAuthStrategy } from './client-auth-strategy.interface';
import { requireClientSecret } from './require-client-secret';

/**
 * `client_secret_basic`: HTTP Basic authentication with the client id and
 * secret (RFC 6749 §2.3.1).
 */
@Injectable()
export class ClientSecretBasicStrategy implements ClientAuthStrategy {
  readonly method = 'client_secret_basic';

  init(options: ResolvedIntrospectionOptions): void {
    requireClientSecret(options);
  }

  authenticate(request: ClientAuthRequest, options: ResolvedIntrospectionOptions): void {
    // RFC 6749 §2.3.1: id and secret are form-urlencoded (Appendix B) before
    // being joined with ":" and base64-encoded, so a ":" in either survives.
    const credentials = `${formEncode(options.clientId)}:${formEncode(requireClientSecret(options))}`;
    request.headers['Authorization'] = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
  }
}

/** application/x-www-form-urlencoded encoding of one value (RFC 6749 Appendix B). */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
