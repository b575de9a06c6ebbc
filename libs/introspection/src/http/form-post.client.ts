import { HttpService } from '@nestjs/axios';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { AxiosError } from 'axios';
import * as http from 'node:http';
import * as https from 'node:https';
import { firstValueFrom } from 'rxjs';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import { IntrospectionResponseError, IntrospectionUnavailableError } from '../errors/introspection.errors';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { IntrospectionHttpResponse } from '../result/introspection-response.parser';

/**
 * Sends the form-encoded POSTs of the module (introspection and token
 * requests) over keep-alive connections, within the `timeout` deadline and
 * the `maxResponseBytes` limit, without following redirects.
 * @internal
 */
@Injectable()
export class FormPostClient implements OnModuleDestroy {
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });

  constructor(
    private readonly http: HttpService,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
  ) {}

  /**
   * POSTs `body` to `url` and returns the answer whatever its status.
   * `target` names the endpoint in error messages, e.g. "introspection endpoint".
   * @throws IntrospectionUnavailableError when there is no answer
   * @throws IntrospectionResponseError when the answer is too large
   */
  async post(
    url: string,
    headers: Record<string, string>,
    body: string,
    target: string,
  ): Promise<IntrospectionHttpResponse> {
    const { timeoutMs, maxResponseBytes } = this.options;
    // A total deadline, connection to last byte: axios' own `timeout` only
    // bounds inactivity, which a slow-drip body would keep resetting.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    try {
      const response = await firstValueFrom(
        this.http.post<string>(url, body, {
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
      throw this.transportError(error, deadline.signal.aborted, target);
    } finally {
      clearTimeout(timer);
    }
  }

  onModuleDestroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private transportError(error: unknown, timedOut: boolean, target: string): Error {
    if (timedOut) {
      return new IntrospectionUnavailableError(
        `The ${target} did not answer within ${this.options.timeoutMs} ms.`,
      );
    }
    const code = error instanceof AxiosError ? error.code : undefined;
    if (error instanceof AxiosError && /maxContentLength/.test(error.message)) {
      return new IntrospectionResponseError(
        'malformed_response',
        `The ${target}'s answer exceeds ${this.options.maxResponseBytes} bytes (maxResponseBytes).`,
      );
    }
    // Neither the cause nor its message is kept: axios errors carry the
    // request, whose body holds the token and maybe the client secret.
    return new IntrospectionUnavailableError(
      `The ${target} could not be reached${code ? ` (${code})` : ''}.`,
    );
  }
}
