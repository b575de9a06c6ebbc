import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';

/** The HTTP platforms the demo (and the library) run on. */
export type DemoAdapter = 'express' | 'fastify';

/** Creates the demo application on the given platform, not yet listening. */
export async function createDemoApp(adapter: DemoAdapter = 'express'): Promise<INestApplication> {
  const app =
    adapter === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger: ['error', 'warn', 'log'] })
      : await NestFactory.create(AppModule, { logger: ['error', 'warn', 'log'] });
  app.enableShutdownHooks();
  return app;
}
