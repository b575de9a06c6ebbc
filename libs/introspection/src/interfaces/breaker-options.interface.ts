import type { Duration } from './introspection-options.interface';

/**
 * The `breaker` group of {@link IntrospectionModuleOptions}: the
 * per-endpoint circuit breaker that stops calling a failing server.
 *
 * @example
 * IntrospectionModule.forRoot({ ..., breaker: { threshold: 5, cooldown: '10s' } })
 */
export interface IntrospectionBreakerOptions {
  /**
   * Consecutive failures of the endpoint (transport errors, timeouts, 5xx,
   * 429, unusable answers; never an answer about the token) after which the
   * circuit breaker opens: the endpoint is not called for
   * `cooldown`, requests are answered 503 with `Retry-After`
   * at once. 0 disables the breaker. Env: `INTROSPECTION_CIRCUIT_BREAKER_THRESHOLD`.
   * @default 5
   */
  threshold?: number;

  /**
   * How long an open circuit breaker stays open before it lets one probe
   * request through; the probe's success closes it, its failure opens it
   * again. Env: `INTROSPECTION_CIRCUIT_BREAKER_COOLDOWN`.
   * @default '10s'
   */
  cooldown?: Duration;
}
