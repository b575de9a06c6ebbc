import { Injectable } from '@nestjs/common';
import type { ClientAuthRequest } from '../client-auth/client-auth-strategy.interface';
import { ClientAuthStrategyRegistry } from '../client-auth/client-auth-strategy.registry';
import { withRejectionHint } from '../client-auth/rejection-hint';
import { AuthorizationServerMetadataService } from '../discovery/authorization-server-metadata.service';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import { IntrospectionUnavailableError } from '../errors/introspection.errors';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import {
  IntrospectionHttpResponse,
  parseIntrospectionResponse,
} from '../result/introspection-response.parser';
import {
  JWT_INTROSPECTION_MEDIA_TYPE,
  JwtIntrospectionResponseVerifier,
} from '../result/jwt-introspection-response.verifier';
import { FormPostClient } from './form-post.client';

const TARGET = 'introspection endpoint';

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
    private readonly metadata: AuthorizationServerMetadataService,
    private readonly jwtResponses: JwtIntrospectionResponseVerifier,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
  ) {}

  /**
   * Asks the introspection endpoint about `token`.
   * @throws IntrospectionUnavailableError when there is no answer
   * @throws IntrospectionResponseError when the answer is not usable
   */
  async introspect(token: string, tokenTypeHint: string): Promise<IntrospectionResult> {
    try {
      return await this.exchange(token, tokenTypeHint);
    } catch (error) {
      if (error instanceof IntrospectionUnavailableError) {
        // The endpoint may have moved: let discovery look again (rate-limited).
        this.metadata.onIntrospectionUnavailable();
      }
      throw error;
    }
  }

  private async exchange(token: string, tokenTypeHint: string): Promise<IntrospectionResult> {
    const strategy = this.strategies.active;
    const first = await this.send(token, tokenTypeHint);
    let { response } = first;
    if (response.status === 401 && (await strategy.onUnauthorized?.(first.request, this.options))) {
      // Built and authenticated anew: fresh credentials, and a fresh
      // assertion jti for strategies that sign one.
      ({ response } = await this.send(token, tokenTypeHint));
    }
    try {
      return this.options.responseFormat === 'jwt'
        ? await this.jwtResponses.verify(response)
        : parseIntrospectionResponse(response);
    } catch (error) {
      throw withRejectionHint(error, strategy, this.options);
    }
  }

  private async send(
    token: string,
    tokenTypeHint: string,
  ): Promise<{ request: ClientAuthRequest; response: IntrospectionHttpResponse }> {
    const endpoint = this.metadata.introspectionEndpoint();
    const { method, requestParams, requestHeaders, responseFormat } = this.options;
    // RFC 7662 §2.1: a form-encoded POST. URLSearchParams percent-encodes
    // "+", "/" and "=", so the server decodes the token byte for byte.
    const request: ClientAuthRequest = {
      endpoint,
      headers: {
        ...requestHeaders,
        // RFC 9701 §4: ask for a signed answer.
        Accept: responseFormat === 'jwt' ? JWT_INTROSPECTION_MEDIA_TYPE : 'application/json',
      },
      body: new URLSearchParams({ ...requestParams, token, token_type_hint: tokenTypeHint }),
    };
    if (method === 'POST') {
      request.headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    await this.strategies.active.authenticate(request, this.options);
    const response =
      method === 'GET'
        ? await this.http.get(withQuery(endpoint, request.body), request.headers, TARGET)
        : await this.http.post(endpoint, request.headers, request.body.toString(), TARGET);
    return { request, response };
  }
}

/** `url` with the parameters added to its query (for `method: 'GET'`). */
function withQuery(url: string, params: URLSearchParams): string {
  const target = new URL(url);
  for (const [name, value] of params) {
    target.searchParams.append(name, value);
  }
  return target.href;
}
