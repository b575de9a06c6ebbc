import { Test, TestingModule } from '@nestjs/testing';
import { mergeOptions } from '../../test-support/option-at';
import { Keyv } from 'keyv';
import type { IntrospectionModuleOptions } from '../interfaces/introspection-options.interface';
import { IntrospectionModule } from '../introspection.module';
import { INTROSPECTION_CLOCK } from '../introspection.constants';
import { FakeAuthorizationServer } from '../../test-support/fake-authorization-server';
import { INTROSPECTION_HEALTH_INTERVAL, IntrospectionHealth } from './introspection-health';

const SECRET = 'health-secret-5d1e';

class FakeClock {
  time = 1_800_000_000_000;
  now = () => this.time;
}

describe('IntrospectionHealth', () => {
  let as: FakeAuthorizationServer;
  let moduleRef: TestingModule | undefined;
  let clock: FakeClock;

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
    clock = new FakeClock();
    moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot(
          mergeOptions(
            { endpoint: as.endpoint, clientId: 'api', clientSecret: SECRET, transport: { retries: 0 } },
            options,
          ),
        ),
      ],
    })
      .overrideProvider(INTROSPECTION_CLOCK)
      .useValue(clock)
      .compile();
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
    const probe = await health({ breaker: { threshold: 1 } });
    as.answerJson(500, {});
    await probe.check();
    as.reset();
    clock.time += INTROSPECTION_HEALTH_INTERVAL;
    expect(await probe.check()).toEqual({ endpoint: { up: false, reason: 'circuit breaker open' } });
    expect(as.requests).toHaveLength(0);
  });

  it('checks the cache store when caching is on', async () => {
    as.answerJson(200, { active: false });
    expect(await (await health({ cache: { ttl: '10s' } })).check()).toEqual({
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
      await health({ cache: { ttl: '10s', store: failing, secret: 'a-cache-secret-of-at-least-32-bytes' } })
    ).check();
    expect(report.cache).toEqual({
      up: false,
      reason: 'the cache store failed or did not answer within cacheTimeout',
    });
  });

  it('makes one check per interval, shared by concurrent and later callers, then checks again', async () => {
    const probe = await health();
    as.answerWith((_request, res) => {
      // Slow enough that the concurrent callers arrive while it runs.
      setTimeout(
        () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"active":false}'),
        50,
      );
    });
    const reports = await Promise.all(Array.from({ length: 20 }, () => probe.check()));
    expect(reports).toEqual(Array.from({ length: 20 }, () => ({ endpoint: { up: true } })));
    clock.time += INTROSPECTION_HEALTH_INTERVAL - 1;
    expect(await probe.check()).toEqual({ endpoint: { up: true } });
    expect(as.requests).toHaveLength(1);

    as.answerJson(401, { error: 'invalid_client' });
    clock.time += 1;
    expect((await probe.check()).endpoint.up).toBe(false);
    expect(as.requests).toHaveLength(1);
  });

  it('keeps a down report for the interval too', async () => {
    as.answerJson(401, { error: 'invalid_client' });
    const probe = await health();
    expect((await probe.check()).endpoint.up).toBe(false);
    as.answerJson(200, { active: false });
    expect((await probe.check()).endpoint.up).toBe(false);
    expect(as.requests).toHaveLength(0);
    clock.time += INTROSPECTION_HEALTH_INTERVAL;
    expect(await probe.check()).toEqual({ endpoint: { up: true } });
    expect(as.requests).toHaveLength(1);
  });
});
