import { Controller, Get, Header } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { IntrospectionHealthIndicator } from './introspection.health-indicator';
import { IntrospectionMetrics } from './introspection-metrics';

/** Operational routes of the demo: health and Prometheus metrics, both public. */
@Controller()
export class OperationsController {
  constructor(
    private readonly healthCheck: HealthCheckService,
    private readonly introspection: IntrospectionHealthIndicator,
    private readonly metrics: IntrospectionMetrics,
  ) {}

  /** 200 when the introspection endpoint (and cache store) answer, else 503. */
  @Get('health')
  @HealthCheck()
  health() {
    return this.healthCheck.check([() => this.introspection.isHealthy()]);
  }

  /** The introspection metrics in the Prometheus text format. */
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
