import { HttpService } from '@nestjs/axios';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { AxiosError } from 'axios';
import * as http from 'node:http';
import * as https from 'node:https';
import { firstValueFrom } from 'rxjs';
import { ClientAuthStrategyRegistry } from '../client-auth/client-auth-strategy.registry';
import { AuthorizationServerMetadataService } from '../discovery/authorization-server-metadata.service';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import { IntrospectionResponseError, IntrospectionUnavailableError } from '../errors/introspection.errors';
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

/**
 * Sends RFC 7662 introspection requests over keep-alive connections and
 * parses the answers. One request per call: no cache, no retry.
 * @internal
 */
@Injectable()
export class IntrospectionHttpClient implements OnModuleDestroy {
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });

  constructor(
    private readonly http: HttpService,
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
      return await this.request(token, tokenTypeHint);
    } catch (error) {
      if (error instanceof IntrospectionUnavailableError) {
        // The endpoint may have moved: let discovery look again (rate-limited).
        this.metadata.onIntrospectionUnavailable();
      }
      throw error;
    }
  }

  private async request(token: string, tokenTypeHint: string): Promise<IntrospectionResult> {
    const endpoint = this.metadata.introspectionEndpoint();
    const { method, requestParams, requestHeaders, responseFormat } = this.options;
    // RFC 7662 §2.1: a form-encoded POST. URLSearchParams percent-encodes
    // "+", "/" and "=", so the server decodes the token byte for byte.
    const body = new URLSearchParams({ ...requestParams, token, token_type_hint: tokenTypeHint });
    const headers: Record<string, string> = {
      ...requestHeaders,
      // RFC 9701 §4: ask for a signed answer.
      Accept: responseFormat === 'jwt' ? JWT_INTROSPECTION_MEDIA_TYPE : 'application/json',
    };
    if (method === 'POST') {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    await this.strategies.active.authenticate({ endpoint, headers, body }, this.options);
    const response =
      method === 'GET'
        ? await this.send('GET', withQuery(endpoint, body), headers)
        : await this.send('POST', endpoint, headers, body.toString());
    return responseFormat === 'jwt'
      ? this.jwtResponses.verify(response)
      : parseIntrospectionResponse(response);
  }

  onModuleDestroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async send(
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<IntrospectionHttpResponse> {
    const { timeoutMs, maxResponseBytes } = this.options;
    // A total deadline, connection to last byte: axios' own `timeout` only
    // bounds inactivity, which a slow-drip body would keep resetting.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    try {
      const response = await firstValueFrom(
        this.http.request<string>({
          method,
          url,
          data: body,
          headers,
          signal: deadline.signal,
          maxRedirects: 0,
          responseType: 'text',
          transformResponse: [(data: string) => data],
          validateStatus: () => true,
          maxContentLength: maxResponseBytes,
          // Never through a proxy picked up from HTTP_PROXY behind the
          // application's back: the request carries the token and credentials.
          proxy: false,
          httpAgent: this.httpAgent,
          httpsAgent: this.httpsAgent,
        }),
      );
      return {
        status: response.status,
        headers: Object.fromEntries(
          Object.entries(response.headers).map(([name, value]) => [
            name.toLowerCase(),
            value === undefined ? undefined : String(value),
          ]),
        ),
        body: typeof response.data === 'string' ? response.data : String(response.data ?? ''),
      };
    } catch (error) {
      throw this.transportError(error, deadline.signal.aborted);
    } finally {
      clearTimeout(timer);
    }
  }

  private transportError(error: unknown, timedOut: boolean): Error {
    if (timedOut) {
      return new IntrospectionUnavailableError(
        `The introspection endpoint did not answer within ${this.options.timeoutMs} ms.`,
      );
    }
    const code = error instanceof AxiosError ? error.code : undefined;
    if (error instanceof AxiosError && /maxContentLength/.test(error.message)) {
      return new IntrospectionResponseError(
        'malformed_response',
        `The introspection endpoint's answer exceeds ${this.options.maxResponseBytes} bytes (maxResponseBytes).`,
      );
    }
    // Neither the cause nor its message is kept: axios errors carry the
    // request, whose body holds the token and maybe the client secret.
    return new IntrospectionUnavailableError(
      `The introspection endpoint could not be reached${code ? ` (${code})` : ''}.`,
    );
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
