import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { IntrospectionHealth } from '@app/introspection';

/**
 * A `@nestjs/terminus` health indicator over {@link IntrospectionHealth}:
 * `introspection` is up when the endpoint answers, and the cache store
 * (when caching is on) takes a write.
 */
@Injectable()
export class IntrospectionHealthIndicator {
  constructor(
    private readonly health: IntrospectionHealth,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async isHealthy(key = 'introspection'): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    const report = await this.health.check();
    const details = {
      endpoint: report.endpoint.up ? 'up' : `down: ${report.endpoint.reason}`,
      ...(report.cache ? { cache: report.cache.up ? 'up' : `down: ${report.cache.reason}` } : {}),
    };
    return report.endpoint.up && (report.cache?.up ?? true) ? indicator.up(details) : indicator.down(details);
  }
}
