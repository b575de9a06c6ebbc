import type { INestApplication, LoggerService, NestApplicationOptions } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Clock, INTROSPECTION_CLOCK, type IntrospectionTransportClient } from '@app/introspection';
import { AppModule } from '../../apps/demo/src/app.module';
import { createDemoApp, DemoAdapter } from '../../apps/demo/src/create-demo-app';
import { CapturingLogger, recordSecret } from './log-capture';
import { FakeAuthorizationServer } from '../../libs/introspection/test-support/fake-authorization-server';
import { TRANSPORT_CLIENTS } from '../../libs/introspection/test-support/transport-clients';
import { demoClients } from '../../apps/demo/src/embedded-authorization-server';
import type { TestAuthorizationServer } from './authorization-server';

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
 * Logs go to the log-hygiene capture, and to `logger` when one is given.
 * With `httpsOptions`, the demo serves HTTPS (e.g. `requestCert` for mTLS).
 */
export async function startDemo(
  adapter: DemoAdapter,
  env: Record<string, string>,
  {
    clock,
    logger,
    httpsOptions,
  }: { clock?: Clock; logger?: LoggerService; httpsOptions?: NestApplicationOptions['httpsOptions'] } = {},
): Promise<RunningDemo> {
  for (const name of [
    'INTROSPECTION_CLIENT_SECRET',
    'INTROSPECTION_BEARER_TOKEN',
    'INTROSPECTION_SIGNING_KEY',
    'INTROSPECTION_TLS_KEY',
    'INTROSPECTION_TLS_KEY_PASSPHRASE',
  ]) {
    recordSecret(env[name]);
  }
  for (const secret of [
    env.INTROSPECTION_CACHE_SECRET,
    ...(env.INTROSPECTION_CACHE_PREVIOUS_SECRET ?? '').split(','),
  ]) {
    recordSecret(secret);
  }
  const saved = introspectionEnv();
  setIntrospectionEnv(env);
  let app: INestApplication;
  try {
    app = clock
      ? await createWithClock(adapter, clock, logger)
      : await createDemoApp(adapter, {
          logger: logger ?? new CapturingLogger(),
          abortOnError: false,
          httpsOptions,
        });
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
    .setLogger(new CapturingLogger())
    .overrideProvider(INTROSPECTION_CLOCK)
    .useValue(clock)
    .compile();
  return adapter === 'fastify'
    ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: logger ?? new CapturingLogger() })
    : moduleRef.createNestApplication({ logger: logger ?? new CapturingLogger() });
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

/**
 * Both HTTP platforms over both HTTP clients of `transport.client`, for the
 * suites that exercise the transport: `describe.each` passes `(adapter, transport)`,
 * and the demo gets `INTROSPECTION_TRANSPORT: transport`.
 */
export const EACH_CLIENT: [DemoAdapter, IntrospectionTransportClient][] = ADAPTERS.flatMap((adapter) =>
  TRANSPORT_CLIENTS.map((transport): [DemoAdapter, IntrospectionTransportClient] => [adapter, transport]),
);

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

/**
 * The environment of a demo pointed at the test authorization server
 * (oidc-provider): its `client_secret_basic` client, the demo audience, realm
 * `demo`. `env` adds to it or overrides it.
 */
export function authorizationServerEnv(
  as: TestAuthorizationServer,
  env: Record<string, string> = {},
): Record<string, string> {
  const client = demoClients().introspectionClients.client_secret_basic;
  return {
    INTROSPECTION_ENDPOINT: as.introspectionEndpoint,
    INTROSPECTION_CLIENT_ID: client.clientId,
    INTROSPECTION_CLIENT_SECRET: client.clientSecret!,
    INTROSPECTION_AUDIENCE: demoClients().audience,
    INTROSPECTION_REALM: 'demo',
    ...env,
  };
}

/**
 * The environment of a demo pointed at a local fault server: client
 * `demo-api`, realm `demo`, retries after a 1 ms backoff. `env` adds to it
 * or overrides it.
 */
export function faultServerEnv(endpoint: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    INTROSPECTION_ENDPOINT: endpoint,
    INTROSPECTION_CLIENT_ID: 'demo-api',
    INTROSPECTION_CLIENT_SECRET: 'demo-api-secret',
    INTROSPECTION_REALM: 'demo',
    INTROSPECTION_RETRY_BACKOFF: '1ms',
    ...env,
  };
}

/**
 * Registers `beforeAll`/`afterAll` hooks that start a fake authorization
 * server and a demo pointed at it ({@link faultServerEnv} plus `env`), and
 * close both; returns an accessor for them, valid once the hooks have run.
 */
export function demoBehindFakeServer(
  adapter: DemoAdapter,
  env: Record<string, string> = {},
): () => { demo: RunningDemo; fault: FakeAuthorizationServer } {
  let started: { demo: RunningDemo; fault: FakeAuthorizationServer } | undefined;
  let fault: FakeAuthorizationServer | undefined;
  beforeAll(async () => {
    fault = await FakeAuthorizationServer.start();
    started = { fault, demo: await startDemo(adapter, faultServerEnv(fault.endpoint, env)) };
  });
  afterAll(async () => {
    await started?.demo.close();
    await fault?.close();
  });
  return () => {
    if (!started) {
      throw new Error(
        'demoBehindFakeServer: the demo is not started yet (use it in a test or a later hook).',
      );
    }
    return started;
  };
}

/**
 * A logger that keeps every message, to check what the module logs (and what
 * it never does); every line also goes to the log-hygiene capture.
 */
export class RecordingLogger extends CapturingLogger {
  readonly messages: string[] = [];

  protected override capture(level: string, message: unknown, params: unknown[]): void {
    this.messages.push(String(message));
    super.capture(level, message, params);
  }
}
