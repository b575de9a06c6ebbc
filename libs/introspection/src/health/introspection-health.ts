import { Injectable } from '@nestjs/common';
import { IntrospectionResultCache } from '../cache/introspection-result.cache';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import { IntrospectionCircuitOpenError, IntrospectionError } from '../errors/introspection.errors';
import { IntrospectionHttpClient } from '../http/introspection-http.client';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';

/** A random-looking token no server has issued: its answer can only be "inactive". */
const PROBE_TOKEN = 'introspection-health-probe';

/** What {@link IntrospectionHealth.check} reports about one dependency. */
export interface IntrospectionDependencyHealth {
  readonly up: boolean;
  /** Why it is down, without a token, secret or response body. */
  readonly reason?: string;
}

/** What {@link IntrospectionHealth.check} reports. */
export interface IntrospectionHealthReport {
  /** The introspection endpoint answered an RFC 7662 response (active or not). */
  readonly endpoint: IntrospectionDependencyHealth;
  /** The cache store took a write within `cacheTimeout`; absent when caching is off. */
  readonly cache?: IntrospectionDependencyHealth;
}

/**
 * Reachability of what the module depends on, for a health check (e.g. a
 * `@nestjs/terminus` indicator; see the demo). The endpoint is asked about a
 * token nobody issued, authenticating as usual, so a wrong client secret
 * shows as down too; while the circuit breaker is open it is reported down
 * without a call.
 *
 * @example
 * const { endpoint } = await health.check();
 */
@Injectable()
export class IntrospectionHealth {
  constructor(
    private readonly client: IntrospectionHttpClient,
    private readonly cache: IntrospectionResultCache,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
  ) {}

  /** Checks the endpoint and, when caching is on, the cache store. Never throws. */
  async check(): Promise<IntrospectionHealthReport> {
    const [endpoint, cache] = await Promise.all([this.checkEndpoint(), this.checkCache()]);
    return cache ? { endpoint, cache } : { endpoint };
  }

  private async checkEndpoint(): Promise<IntrospectionDependencyHealth> {
    try {
      await this.client.introspect(PROBE_TOKEN, this.options.tokenTypeHint);
      return { up: true };
    } catch (error) {
      if (error instanceof IntrospectionCircuitOpenError) {
        return { up: false, reason: 'circuit breaker open' };
      }
      // Our own messages only: they never hold a token, secret or body.
      return { up: false, reason: error instanceof IntrospectionError ? error.message : 'unexpected error' };
    }
  }

  private async checkCache(): Promise<IntrospectionDependencyHealth | undefined> {
    if (!this.cache.enabled) {
      return undefined;
    }
    return (await this.cache.ping())
      ? { up: true }
      : { up: false, reason: 'the cache store failed or did not answer within cacheTimeout' };
  }
}
