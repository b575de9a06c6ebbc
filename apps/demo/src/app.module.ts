import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { IntrospectionModule, introspectionConfig } from '@app/introspection';
import { DemoController } from './demo.controller';

/** The demo API, configured from `INTROSPECTION_*` environment variables. */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    IntrospectionModule.forRootAsync(introspectionConfig.asProvider()),
  ],
  controllers: [DemoController],
})
export class AppModule {}
