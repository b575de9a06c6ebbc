import type { Duration, IntrospectionTlsOptions } from './introspection-options.interface';

/** The HTTP clients `transport.client` can name. */
export type IntrospectionTransportClient = 'undici' | 'axios';

/**
 * The `transport` group of {@link IntrospectionModuleOptions}: how the
 * module talks to the authorization server (deadline, retries, body cap, TLS).
 *
 * @example
 * IntrospectionModule.forRoot({ ..., transport: { timeout: '2s', retries: 1, tls: { ca } } })
 */
export interface IntrospectionTransportOptions {
  /**
   * The HTTP client the module calls the authorization server with: `'undici'`
   * (a keep-alive undici `Agent` per module instance, the lean path) or
   * `'axios'` (`@nestjs/axios`'s `HttpService` over the module's own axios
   * instance; `@nestjs/axios` and `axios` are then needed, as optional peers).
   * Same guarantees either way: deadline, body cap, no redirects, no proxy
   * from the environment, `tls`. Env: `INTROSPECTION_TRANSPORT`.
   * @default 'undici'
   */
  client?: IntrospectionTransportClient;

  /**
   * Total deadline of one introspection request, connection to last byte.
   * Env: `INTROSPECTION_TIMEOUT`.
   * @default '5s'
   */
  timeout?: Duration;

  /**
   * How many times one introspection is retried after a connection error or
   * HTTP 502/503/504, with jittered exponential backoff, within the same
   * `timeout`. Never for 4xx, 429 or 500. 0 disables retries.
   * Env: `INTROSPECTION_RETRIES`.
   * @default 1
   */
  retries?: number;

  /**
   * Base delay of the retry backoff: attempt n waits a random time between
   * 0 and `retryBackoff * 2^(n-1)` ("full jitter"). Env: `INTROSPECTION_RETRY_BACKOFF`.
   * @default '100ms'
   */
  retryBackoff?: Duration;

  /**
   * Largest introspection response body read, in bytes; a larger one is a
   * malformed answer (502). Env: `INTROSPECTION_MAX_RESPONSE_BYTES`.
   * @default 65536
   */
  maxResponseBytes?: number;

  /**
   * Allow `http:` endpoints on hosts other than loopback. The request carries
   * the token and the client credentials in clear text: only for a network
   * you trust end to end. Env: `INTROSPECTION_ALLOW_INSECURE_HTTP`.
   * @default false
   */
  allowInsecureHttp?: boolean;

  /** TLS settings (CA bundle, client certificate for mTLS) for `https:` endpoints. */
  tls?: IntrospectionTlsOptions;
}
