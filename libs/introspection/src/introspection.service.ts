import { Injectable } from '@nestjs/common';
import { InjectIntrospectionOptions } from './decorators/inject-introspection-options.decorator';
import { IntrospectionHttpClient } from './http/introspection-http.client';
import type { ResolvedIntrospectionOptions } from './interfaces/introspection-options.interface';
import type { IntrospectionResult, IntrospectOptions } from './interfaces/introspection-result.interface';

/**
 * The introspector: asks the authorization server whether a token is active
 * right now (RFC 7662).
 *
 * @example
 * const result = await introspection.introspect(token);
 * if (result.active && result.scopes.includes('read:payments')) { ... }
 */
@Injectable()
export class IntrospectionService {
  constructor(
    private readonly client: IntrospectionHttpClient,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
  ) {}

  /**
   * Introspects `token`. Resolves with the validated answer, active or not;
   * rejects when there is no usable answer, never resolving to "inactive"
   * for an outage.
   *
   * @throws IntrospectionUnavailableError no answer (network error, timeout, 5xx, 429)
   * @throws IntrospectionResponseError malformed answer, or our client credentials rejected
   */
  async introspect(token: string, options: IntrospectOptions = {}): Promise<IntrospectionResult> {
    if (typeof token !== 'string' || token.length === 0) {
      throw new TypeError('introspect() needs a non-empty token string.');
    }
    return this.client.introspect(token, options.tokenTypeHint ?? this.options.tokenTypeHint);
  }
}
