import { HttpService } from '@nestjs/axios';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { isAxiosError } from 'axios';
import * as http from 'node:http';
import * as https from 'node:https';
import { firstValueFrom } from 'rxjs';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import { IntrospectionResponseError, IntrospectionUnavailableError } from '../errors/introspection.errors';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import { isRetryableCode } from '../resilience/retry-policy';
import type { IntrospectionHttpResponse } from '../result/introspection-response.parser';

/**
 * One request's outcome: an HTTP answer, or a transport failure already
 * turned into our error, with whether sending again is worth it.
 * @internal
 */
export type FormPostOutcome =
  { readonly response: IntrospectionHttpResponse } | { readonly error: Error; readonly retryable: boolean };

/**
 * Sends the requests of the module (form-encoded POSTs to the introspection
 * and token endpoints, GETs to the introspection endpoint with
 * `method: 'GET'`) over keep-alive connections, within the `timeout`
 * deadline and the `maxResponseBytes` limit, without following redirects,
 * with the `tls` CA bundle and client certificate.
 * @internal
 */
@Injectable()
export class FormPostClient implements OnModuleDestroy {
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent: https.Agent;

  constructor(
    private readonly http: HttpService,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
  ) {
    // CA bundle and client certificate (mTLS) apply to every https request.
    this.httpsAgent = new https.Agent({ keepAlive: true, ...options.tls });
  }

  /**
   * POSTs `body` to `url` and returns the answer whatever its status.
   * `target` names the endpoint in error messages, e.g. "introspection endpoint".
   * @throws IntrospectionUnavailableError when there is no answer
   * @throws IntrospectionResponseError when the answer is too large
   */
  post(
    url: string,
    headers: Record<string, string>,
    body: string,
    target: string,
  ): Promise<IntrospectionHttpResponse> {
    return this.unwrap(this.send('POST', url, headers, target, body));
  }

  /**
   * GETs `url` (its query carries the parameters) and returns the answer
   * whatever its status, under the same deadline and limits as {@link post}.
   * @throws IntrospectionUnavailableError when there is no answer
   * @throws IntrospectionResponseError when the answer is too large
   */
  get(url: string, headers: Record<string, string>, target: string): Promise<IntrospectionHttpResponse> {
    return this.unwrap(this.send('GET', url, headers, target));
  }

  /**
   * Like {@link post} and {@link get}, but reports a transport failure
   * instead of throwing it. Without `deadline`, the request gets its own
   * `timeout` deadline; a caller that retries passes one deadline for all
   * its attempts.
   */
  async send(
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    target: string,
    body?: string,
    deadline?: AbortSignal,
  ): Promise<FormPostOutcome> {
    // A total deadline, connection to last byte: axios' own `timeout` only
    // bounds inactivity, which a slow-drip body would keep resetting.
    const own = deadline ? undefined : new AbortController();
    const timer = own && setTimeout(() => own.abort(), this.options.timeoutMs);
    const signal = deadline ?? own!.signal;
    try {
      const response = await firstValueFrom(
        this.http.request<string>({
          method,
          url,
          data: body,
          headers,
          signal,
          maxRedirects: 0,
          responseType: 'text',
          transformResponse: [(data: string) => data],
          validateStatus: () => true,
          // Enforced while the body streams in: the connection is dropped as
          // soon as the answer grows past the cap.
          maxContentLength: this.options.maxResponseBytes,
          // Never through a proxy picked up from HTTP_PROXY behind the
          // application's back: the request carries the token and credentials.
          proxy: false,
          httpAgent: this.httpAgent,
          httpsAgent: this.httpsAgent,
        }),
      );
      return {
        response: {
          status: response.status,
          headers: Object.fromEntries(
            Object.entries(response.headers).map(([name, value]) => [
              name.toLowerCase(),
              value === undefined ? undefined : String(value),
            ]),
          ),
          body: typeof response.data === 'string' ? response.data : String(response.data ?? ''),
        },
      };
    } catch (error) {
      return this.transportError(error, signal.aborted, target);
    } finally {
      clearTimeout(timer);
    }
  }

  onModuleDestroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async unwrap(pending: Promise<FormPostOutcome>): Promise<IntrospectionHttpResponse> {
    const outcome = await pending;
    if ('error' in outcome) {
      throw outcome.error;
    }
    return outcome.response;
  }

  private transportError(error: unknown, timedOut: boolean, target: string): FormPostOutcome {
    if (timedOut) {
      return {
        retryable: false,
        error: new IntrospectionUnavailableError(
          `The ${target} did not answer within ${this.options.timeoutMs} ms.`,
        ),
      };
    }
    // isAxiosError, not instanceof: @nestjs/axios 12 is ESM and loads axios's
    // ES build, a CommonJS caller gets its CommonJS build, each with its own
    // AxiosError class.
    const axiosError = isAxiosError(error) ? error : undefined;
    const code = axiosError?.code;
    if (axiosError && /maxContentLength/.test(axiosError.message)) {
      return {
        retryable: false,
        error: new IntrospectionResponseError(
          'malformed_response',
          `The ${target}'s answer exceeds ${this.options.maxResponseBytes} bytes (maxResponseBytes).`,
        ),
      };
    }
    // Neither the cause nor its message is kept: axios errors carry the
    // request, whose body holds the token and maybe the client secret.
    return {
      retryable: isRetryableCode(code),
      error: new IntrospectionUnavailableError(
        `The ${target} could not be reached${code ? ` (${code})` : ''}.`,
      ),
    };
  }
}
