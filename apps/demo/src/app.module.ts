import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { IntrospectionModule, introspectionConfig } from '@app/introspection';
import { TerminusModule } from '@nestjs/terminus';
import { DemoController } from './demo.controller';
import { IntrospectionHealthIndicator } from './introspection.health-indicator';
import { IntrospectionMetrics } from './introspection-metrics';
import { OperationsController } from './operations.controller';
import { TelemetryShutdown } from './telemetry';

/**
 * The demo API, configured from `INTROSPECTION_*` environment variables, with
 * `GET /health` (terminus) and `GET /metrics` (Prometheus), and OpenTelemetry
 * over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (see `telemetry.ts`).
 */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    IntrospectionModule.forRootAsync(introspectionConfig.asProvider()),
    TerminusModule,
  ],
  controllers: [DemoController, OperationsController],
  providers: [IntrospectionMetrics, IntrospectionHealthIndicator, TelemetryShutdown],
})
export class AppModule {}
