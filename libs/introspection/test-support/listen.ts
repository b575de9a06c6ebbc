import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { TestingModule } from '@nestjs/testing';

/** An application listening on 127.0.0.1 with a random port. */
export interface ListeningApp {
  readonly app: INestApplication;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
}

/**
 * Creates the application of `moduleRef` on `adapter` without logs, lets
 * `configure` set it up (WebSocket adapter, microservices…), and listens.
 */
export async function listen(
  moduleRef: TestingModule,
  adapter: 'express' | 'fastify',
  configure: (app: INestApplication) => void | Promise<void> = () => undefined,
): Promise<ListeningApp> {
  const app = createApp(moduleRef, adapter);
  await configure(app);
  await app.listen(0, '127.0.0.1');
  if (adapter === 'fastify') {
    await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  }
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

/** The application of `moduleRef` on `adapter`, without logs, not yet initialized. */
export function createApp(moduleRef: TestingModule, adapter: 'express' | 'fastify'): INestApplication {
  return adapter === 'fastify'
    ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false })
    : moduleRef.createNestApplication({ logger: false });
}
