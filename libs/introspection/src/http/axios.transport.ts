import type { HttpService } from '@nestjs/axios';
import * as http from 'node:http';
import * as https from 'node:https';
import { firstValueFrom } from 'rxjs';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type { IntrospectionTlsOptions } from '../interfaces/introspection-options.interface';
import { isRetryableCode } from '../resilience/retry-policy';
import type { IntrospectionHttpResponse } from '../result/introspection-response.parser';
import { FormPostRequest, FormPostTransport, FormPostTransportError } from './form-post.transport';

/**
 * The opt-in transport (`transport.client: 'axios'`): `@nestjs/axios`'s
 * `HttpService` over the module's own axios instance (`maxRedirects: 0`),
 * with keep-alive `http.Agent` and `https.Agent`. Like before undici became
 * the default, the instance is private to the module: interceptors an
 * application adds to its own `HttpService` or to axios's default instance
 * do not apply.
 * @internal
 */
export class AxiosTransport implements FormPostTransport {
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent: https.Agent;

  constructor(
    private readonly http: HttpService,
    tls?: IntrospectionTlsOptions,
  ) {
    // CA bundle and client certificate (mTLS) apply to every https request.
    this.httpsAgent = new https.Agent({ keepAlive: true, ...tls });
  }

  async send(request: FormPostRequest): Promise<IntrospectionHttpResponse> {
    try {
      const response = await firstValueFrom(
        this.http.request<string>({
          method: request.method,
          url: request.url,
          data: request.body,
          headers: request.headers,
          signal: request.signal,
          maxRedirects: 0,
          responseType: 'text',
          transformResponse: [(data: string) => data],
          validateStatus: () => true,
          // Enforced while the body streams in: the connection is dropped as
          // soon as the answer grows past the cap.
          maxContentLength: request.maxResponseBytes,
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
      if (request.signal.aborted) {
        throw error;
      }
      // isAxiosError's own test, not instanceof: @nestjs/axios 12 is ESM and
      // loads axios's ES build, a CommonJS caller gets its CommonJS build,
      // each with its own AxiosError class.
      const axiosError = (error as { isAxiosError?: unknown })?.isAxiosError === true;
      const { code, message } = error as { code?: string; message?: string };
      if (axiosError && /maxContentLength/.test(String(message))) {
        throw new FormPostTransportError('too_large');
      }
      throw new FormPostTransportError('unreachable', code, isRetryableCode(code));
    }
  }

  close(): Promise<void> {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    return Promise.resolve();
  }
}

/**
 * An {@link AxiosTransport}, `@nestjs/axios` and `axios` loaded now: they are
 * optional peers, imported only when `transport.client` is `'axios'`.
 * @throws IntrospectionConfigurationError naming `transport.client` when they are not installed
 * @internal
 */
export async function createAxiosTransport(tls?: IntrospectionTlsOptions): Promise<AxiosTransport> {
  let modules: Awaited<ReturnType<typeof importPeers>>;
  try {
    modules = await importPeers();
  } catch (error) {
    throw new IntrospectionConfigurationError(
      'transport.client',
      `is "axios", but @nestjs/axios and axios could not be loaded (${
        (error as { code?: string }).code ?? 'error'
      }): install them (npm install @nestjs/axios axios), or use the default "undici".`,
    );
  }
  const [{ HttpService }, axios] = modules;
  return new AxiosTransport(new HttpService(axios.default.create({ maxRedirects: 0 })), tls);
}

function importPeers() {
  return Promise.all([import('@nestjs/axios'), import('axios')]);
}
