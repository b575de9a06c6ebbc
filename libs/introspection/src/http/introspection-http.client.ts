import { Injectable } from '@nestjs/common';
import type { ClientAuthRequest } from '../client-auth/client-auth-strategy.interface';
import { ClientAuthStrategyRegistry } from '../client-auth/client-auth-strategy.registry';
import { withRejectionHint } from '../client-auth/rejection-hint';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import {
  IntrospectionHttpResponse,
  parseIntrospectionResponse,
} from '../result/introspection-response.parser';
import { FormPostClient } from './form-post.client';

/**
 * Sends RFC 7662 introspection requests and parses the answers. One request
 * per call, no cache; sent a second time only when the client
 * authentication strategy renews stale credentials after a 401.
 * @internal
 */
@Injectable()
export class IntrospectionHttpClient {
  constructor(
    private readonly http: FormPostClient,
    private readonly strategies: ClientAuthStrategyRegistry,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
  ) {}

  /**
   * Asks the introspection endpoint about `token`.
   * @throws IntrospectionUnavailableError when there is no answer
   * @throws IntrospectionResponseError when the answer is not usable
   */
  async introspect(token: string, tokenTypeHint: string): Promise<IntrospectionResult> {
    const strategy = this.strategies.active;
    const first = await this.send(token, tokenTypeHint);
    let { response } = first;
    if (response.status === 401 && (await strategy.onUnauthorized?.(first.request, this.options))) {
      // Built and authenticated anew: fresh credentials, and a fresh
      // assertion jti for strategies that sign one.
      ({ response } = await this.send(token, tokenTypeHint));
    }
    try {
      return parseIntrospectionResponse(response);
    } catch (error) {
      throw withRejectionHint(error, strategy, this.options);
    }
  }

  private async send(
    token: string,
    tokenTypeHint: string,
  ): Promise<{ request: ClientAuthRequest; response: IntrospectionHttpResponse }> {
    const { endpoint } = this.options;
    // RFC 7662 §2.1: a form-encoded POST. URLSearchParams percent-encodes
    // "+", "/" and "=", so the server decodes the token byte for byte.
    const request: ClientAuthRequest = {
      endpoint,
      headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: tokenTypeHint }),
    };
    await this.strategies.active.authenticate(request, this.options);
    const response = await this.http.post(
      endpoint,
      request.headers,
      request.body.toString(),
      'introspection endpoint',
    );
    return { request, response };
  }
}
