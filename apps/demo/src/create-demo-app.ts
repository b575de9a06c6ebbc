import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';

/** The HTTP platforms the demo (and the library) run on. */
export type DemoAdapter = 'express' | 'fastify';

/** Creates the demo application on the given platform, not yet listening. */
export async function createDemoApp(
  adapter: DemoAdapter = 'express',
  options: NestApplicationOptions = {},
): Promise<INestApplication> {
  // Fastify takes its HTTPS settings (e.g. requestCert for mTLS) when the adapter is made.
  const app =
    adapter === 'fastify'
      ? await NestFactory.create(
          AppModule,
          new FastifyAdapter(options.httpsOptions ? { https: options.httpsOptions } : undefined),
          options,
        )
      : await NestFactory.create(AppModule, options);
  app.enableShutdownHooks();
  return app;
}
