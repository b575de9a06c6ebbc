import type { INestApplication, LoggerService } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Clock, INTROSPECTION_CLOCK } from '@app/introspection';
import { AppModule } from '../../apps/demo/src/app.module';
import { createDemoApp, DemoAdapter } from '../../apps/demo/src/create-demo-app';

/** A demo app listening on 127.0.0.1 with a random port. */
export interface RunningDemo {
  readonly app: INestApplication;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Boots the demo app on `adapter`, configured only through the given
 * INTROSPECTION_* environment variables (the rest of the environment's
 * INTROSPECTION_* variables are cleared for the duration of the boot).
 * With `clock`, the module's clock is replaced, the way an application's own
 * tests would do it, so that cache expiry is tested without sleeping.
 * Logs are dropped unless a `logger` is given.
 */
export async function startDemo(
  adapter: DemoAdapter,
  env: Record<string, string>,
  { clock, logger }: { clock?: Clock; logger?: LoggerService } = {},
): Promise<RunningDemo> {
  const saved = introspectionEnv();
  setIntrospectionEnv(env);
  let app: INestApplication;
  try {
    app = clock
      ? await createWithClock(adapter, clock, logger)
      : await createDemoApp(adapter, { logger: logger ?? false });
    await app.listen(0, '127.0.0.1');
  } finally {
    setIntrospectionEnv(saved);
  }
  if (adapter === 'fastify') {
    await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  }
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, close: () => app.close() };
}

async function createWithClock(
  adapter: DemoAdapter,
  clock: Clock,
  logger?: LoggerService,
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(INTROSPECTION_CLOCK)
    .useValue(clock)
    .compile();
  return adapter === 'fastify'
    ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: logger ?? false })
    : moduleRef.createNestApplication({ logger: logger ?? false });
}

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  private offset = 0;
  now = (): number => Date.now() + this.offset;
  advance(ms: number): void {
    this.offset += ms;
  }
}

/** Both HTTP platforms, for `describe.each`. */
export const ADAPTERS: DemoAdapter[] = ['express', 'fastify'];

function introspectionEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => entry[0].startsWith('INTROSPECTION_') && entry[1] !== undefined,
    ),
  );
}

/** Replaces every INTROSPECTION_* variable of the environment with `env`. */
function setIntrospectionEnv(env: Record<string, string>): void {
  for (const name of Object.keys(introspectionEnv())) {
    delete process.env[name];
  }
  Object.assign(process.env, env);
}

/** A logger that keeps every message, to check what the module logs (and what it never does). */
export class RecordingLogger implements LoggerService {
  readonly messages: string[] = [];
  log = (message: unknown) => void this.messages.push(String(message));
  error = (message: unknown) => void this.messages.push(String(message));
  warn = (message: unknown) => void this.messages.push(String(message));
  debug = (message: unknown) => void this.messages.push(String(message));
  verbose = (message: unknown) => void this.messages.push(String(message));
}
