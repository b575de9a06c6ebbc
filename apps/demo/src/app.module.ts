import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { IntrospectionModule, introspectionConfig } from '@app/introspection';
import { TerminusModule } from '@nestjs/terminus';
import { DemoController } from './demo.controller';
import { IntrospectionHealthIndicator } from './introspection.health-indicator';
import { IntrospectionMetrics } from './introspection-metrics';
import { OperationsController } from './operations.controller';

/**
 * The demo API, configured from `INTROSPECTION_*` environment variables, with
 * `GET /health` (terminus) and `GET /metrics` (Prometheus).
 */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    IntrospectionModule.forRootAsync(introspectionConfig.asProvider()),
    TerminusModule,
  ],
  controllers: [DemoController, OperationsController],
  providers: [IntrospectionMetrics, IntrospectionHealthIndicator],
})
export class AppModule {}
