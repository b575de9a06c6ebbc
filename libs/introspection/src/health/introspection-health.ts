import { Inject, Injectable } from '@nestjs/common';
import { IntrospectionResultCache } from '../cache/introspection-result.cache';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import { IntrospectionCircuitOpenError, IntrospectionError } from '../errors/introspection.errors';
import { IntrospectionHttpClient } from '../http/introspection-http.client';
import type { Clock } from '../interfaces/clock.interface';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import { INTROSPECTION_CLOCK } from '../introspection.constants';

/** A random-looking token no server has issued: its answer can only be "inactive". */
const PROBE_TOKEN = 'introspection-health-probe';

/**
 * How long, in milliseconds, a {@link IntrospectionHealth.check} report is
 * reused after it is made: a public health route then costs the
 * authorization server at most one introspection per interval, however often
 * it is hit.
 */
export const INTROSPECTION_HEALTH_INTERVAL = 5_000;

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
 * A report is reused for {@link INTROSPECTION_HEALTH_INTERVAL} after it is
 * made, and callers that arrive while a check runs share it (single flight),
 * so a public health route cannot be used to flood the authorization server.
 *
 * @example
 * const { endpoint } = await health.check();
 */
@Injectable()
export class IntrospectionHealth {
  /** The last report (or the check under way) and until when it may be reused. */
  private last?: { readonly report: Promise<IntrospectionHealthReport>; until: number };

  constructor(
    private readonly client: IntrospectionHttpClient,
    private readonly cache: IntrospectionResultCache,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
    @Inject(INTROSPECTION_CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Checks the endpoint and, when caching is on, the cache store; returns the
   * check under way, or the last report while it is younger than
   * {@link INTROSPECTION_HEALTH_INTERVAL}. Never throws.
   */
  check(): Promise<IntrospectionHealthReport> {
    if (this.last && this.clock.now() < this.last.until) {
      return this.last.report;
    }
    const last = { report: this.checkNow(), until: Number.POSITIVE_INFINITY };
    this.last = last;
    void last.report.finally(() => {
      last.until = this.clock.now() + INTROSPECTION_HEALTH_INTERVAL;
    });
    return last.report;
  }

  private async checkNow(): Promise<IntrospectionHealthReport> {
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
