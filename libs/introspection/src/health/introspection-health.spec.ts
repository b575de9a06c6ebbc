import { Test, TestingModule } from '@nestjs/testing';
import { Keyv } from 'keyv';
import type { IntrospectionModuleOptions } from '../interfaces/introspection-options.interface';
import { IntrospectionModule } from '../introspection.module';
import { FakeAuthorizationServer } from '../../test-support/fake-authorization-server';
import { IntrospectionHealth } from './introspection-health';

const SECRET = 'health-secret-5d1e';

describe('IntrospectionHealth', () => {
  let as: FakeAuthorizationServer;
  let moduleRef: TestingModule | undefined;

  beforeAll(async () => {
    as = await FakeAuthorizationServer.start();
  });

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  afterAll(async () => {
    await as?.close();
  });

  async function health(options: Partial<IntrospectionModuleOptions> = {}): Promise<IntrospectionHealth> {
    moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot({
          endpoint: as.endpoint,
          clientId: 'api',
          clientSecret: SECRET,
          retries: 0,
          ...options,
        }),
      ],
    }).compile();
    moduleRef.useLogger(false);
    await moduleRef.init();
    return moduleRef.get(IntrospectionHealth);
  }

  it('reports the endpoint up when it answers, even "inactive", authenticating as usual', async () => {
    as.answerJson(200, { active: false });
    expect(await (await health()).check()).toEqual({ endpoint: { up: true } });
    expect(as.lastRequest.headers.authorization).toMatch(/^Basic /);
  });

  it('reports the endpoint down with the reason, never the secret', async () => {
    as.answerJson(401, { error: 'invalid_client', error_description: SECRET });
    const report = await (await health()).check();
    expect(report.endpoint.up).toBe(false);
    expect(report.endpoint.reason).toContain('rejected');
    expect(JSON.stringify(report)).not.toContain(SECRET);
  });

  it('reports an open breaker down without calling the endpoint', async () => {
    const probe = await health({ circuitBreakerThreshold: 1 });
    as.answerJson(500, {});
    await probe.check();
    as.reset();
    expect(await probe.check()).toEqual({ endpoint: { up: false, reason: 'circuit breaker open' } });
    expect(as.requests).toHaveLength(0);
  });

  it('checks the cache store when caching is on', async () => {
    as.answerJson(200, { active: false });
    expect(await (await health({ ttl: '10s' })).check()).toEqual({
      endpoint: { up: true },
      cache: { up: true },
    });
  });

  it('reports a failing cache store down', async () => {
    as.answerJson(200, { active: false });
    const store = new Map();
    const failing = new Keyv({
      store: Object.assign(store, {
        set: () => {
          throw new Error('store down');
        },
      }),
      throwOnErrors: true,
    });
    const report = await (
      await health({ ttl: '10s', cache: failing, cacheSecret: 'a-cache-secret-of-at-least-32-bytes' })
    ).check();
    expect(report.cache).toEqual({
      up: false,
      reason: 'the cache store failed or did not answer within cacheTimeout',
    });
  });
});
