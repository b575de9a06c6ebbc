import { Logger } from '@nestjs/common';
import { mergeOptions } from '../test-support/option-at';
import { Test, TestingModule } from '@nestjs/testing';
import type { ServerResponse } from 'node:http';
import { Keyv } from 'keyv';
import {
  IntrospectionCacheError,
  IntrospectionResponseError,
  IntrospectionUnavailableError,
} from './errors/introspection.errors';
import type { IntrospectionModuleOptions } from './interfaces/introspection-options.interface';
import { INTROSPECTION_CLOCK } from './introspection.constants';
import { IntrospectionModule } from './introspection.module';
import { IntrospectionService } from './introspection.service';
import { FakeAuthorizationServer } from '../test-support/fake-authorization-server';
import { flakyStore } from '../test-support/flaky-store';
import { rejectionOf } from '../test-support/rejection-of';

// The service with caching on, against a real local HTTP server: what is
// reused, single flight, errors never cached, invalidation, store faults.

const TOKEN = 'c2luZ2xlLWZsaWdodA';
const CACHE_SECRET = 'a-cache-secret-of-at-least-32-bytes';

class FakeClock {
  time = 1_800_000_000_000;
  now = () => this.time;
}

describe('IntrospectionService with a cache', () => {
  let as: FakeAuthorizationServer;
  let moduleRef: TestingModule | undefined;
  let clock: FakeClock;
  /** Answers held back until the test releases them. */
  let held: ServerResponse[];

  const activeAnswer = () => ({ active: true, token_type: 'Bearer', exp: clock.now() / 1000 + 3600 });

  async function service(options: Partial<IntrospectionModuleOptions> = {}): Promise<IntrospectionService> {
    moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot(
          mergeOptions(
            { endpoint: as.endpoint, clientId: 'api', clientSecret: 'secret', cache: { ttl: '60s' } },
            options,
          ),
        ),
      ],
    })
      .overrideProvider(INTROSPECTION_CLOCK)
      .useValue(clock)
      .compile();
    await moduleRef.init();
    return moduleRef.get(IntrospectionService);
  }

  /** Holds every answer back; `release` then answers them all with `status` and `body`. */
  function holdAnswers(): void {
    held = [];
    as.answerWith((_request, res) => held.push(res));
  }

  async function release(status: number, body: unknown): Promise<void> {
    // Wait until the first request has arrived, so that it is the one released.
    while (held.length === 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const res of held.splice(0)) {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    }
  }

  beforeAll(async () => {
    as = await FakeAuthorizationServer.start();
  });

  beforeEach(() => {
    clock = new FakeClock();
    as.answerJson(200, activeAnswer());
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await moduleRef?.close();
    moduleRef = undefined;
  });

  afterAll(async () => {
    await as?.close();
  });

  it('reuses an answer for ttl, then asks again', async () => {
    const introspection = await service({ cache: { ttl: '60s' } });
    await introspection.introspect(TOKEN);
    clock.time += 59_999;
    expect((await introspection.introspect(TOKEN)).active).toBe(true);
    expect(as.requests).toHaveLength(1);
    clock.time += 1;
    await introspection.introspect(TOKEN);
    expect(as.requests).toHaveLength(2);
  });

  it('asks every time with ttl 0', async () => {
    const introspection = await service({ cache: { ttl: 0 } });
    await introspection.introspect(TOKEN);
    await introspection.introspect(TOKEN);
    expect(as.requests).toHaveLength(2);
  });

  it('keeps answers apart per token and per token type hint', async () => {
    const introspection = await service();
    await introspection.introspect(TOKEN);
    await introspection.introspect(`${TOKEN}x`);
    await introspection.introspect(TOKEN, { tokenTypeHint: 'refresh_token' });
    await introspection.introspect(TOKEN);
    expect(as.requests.map((r) => [r.form.get('token'), r.form.get('token_type_hint')])).toEqual([
      [TOKEN, 'access_token'],
      [`${TOKEN}x`, 'access_token'],
      [TOKEN, 'refresh_token'],
    ]);
  });

  it('makes one request for many concurrent callers of the same token, and gives each the answer', async () => {
    const introspection = await service();
    holdAnswers();
    const calls = Array.from({ length: 50 }, () => introspection.introspect(TOKEN));
    await release(200, { ...activeAnswer(), sub: 'user-1' });
    const results = await Promise.all(calls);
    expect(as.requests).toHaveLength(1);
    expect(results.map((r) => r.sub)).toEqual(Array(50).fill('user-1'));
  });

  it('gives concurrent callers a deeply frozen result: one caller mutating it throws and cannot change what the others see', async () => {
    const introspection = await service();
    holdAnswers();
    const calls = [introspection.introspect(TOKEN), introspection.introspect(TOKEN)];
    await release(200, {
      ...activeAnswer(),
      scope: 'read',
      aud: ['api'],
      sub: 'user-1',
      cnf: { jkt: 'thumbprint' },
      ext: { roles: ['user'] },
    });
    const [first, second] = await Promise.all(calls);
    expect(as.requests).toHaveLength(1);
    const mutations: Array<() => unknown> = [
      () => (first.scopes as string[]).push('admin'),
      () => (first.aud as string[]).push('other-api'),
      () => ((first as { sub?: string }).sub = 'admin'),
      () => ((first.claims as Record<string, unknown>).scope = 'read admin'),
      () => ((first.cnf as Record<string, unknown>).jkt = 'another'),
      () => (first.claims.ext as { roles: string[] }).roles.push('admin'),
    ];
    for (const mutate of mutations) {
      expect(mutate).toThrow(TypeError);
    }
    expect(second.scopes).toEqual(['read']);
    expect(second.aud).toEqual(['api']);
    expect(second.sub).toBe('user-1');
    expect(second.claims.scope).toBe('read');
    expect(second.cnf).toEqual({ jkt: 'thumbprint' });
    expect(second.claims.ext).toEqual({ roles: ['user'] });
  });

  it('gives a deeply frozen result with ttl 0 too', async () => {
    const introspection = await service({ cache: { ttl: 0 } });
    as.answerJson(200, { ...activeAnswer(), scope: 'read' });
    const result = await introspection.introspect(TOKEN);
    expect(() => (result.scopes as string[]).push('admin')).toThrow(TypeError);
    expect(() => ((result.claims as Record<string, unknown>).scope = 'admin')).toThrow(TypeError);
  });

  it('gives a deeply frozen result on a cache hit too', async () => {
    const introspection = await service();
    as.answerJson(200, { ...activeAnswer(), scope: 'read', ext: { roles: ['user'] } });
    await introspection.introspect(TOKEN);
    const hit = await introspection.introspect(TOKEN);
    expect(as.requests).toHaveLength(1);
    expect(() => (hit.scopes as string[]).push('admin')).toThrow(TypeError);
    expect(() => (hit.claims.ext as { roles: string[] }).roles.push('admin')).toThrow(TypeError);
  });

  it('gives every concurrent caller the same error, caches nothing, and tries again on the next call', async () => {
    const introspection = await service();
    holdAnswers();
    const calls = Array.from({ length: 20 }, () => rejectionOf(introspection.introspect(TOKEN)));
    // 500: not retried, so the one held request decides.
    await release(500, { error: 'server_error' });
    const errors = await Promise.all(calls);
    expect(as.requests).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(IntrospectionUnavailableError);
    expect(new Set(errors).size).toBe(1);

    as.answerJson(200, activeAnswer());
    expect((await introspection.introspect(TOKEN)).active).toBe(true);
    expect(as.requests).toHaveLength(1);
  });

  it('never caches a malformed answer', async () => {
    const introspection = await service();
    as.answerJson(200, '{"active":"true"}');
    await expect(introspection.introspect(TOKEN)).rejects.toBeInstanceOf(IntrospectionResponseError);
    await expect(introspection.introspect(TOKEN)).rejects.toBeInstanceOf(IntrospectionResponseError);
    expect(as.requests).toHaveLength(2);
  });

  it('forgets a token on invalidate()', async () => {
    const introspection = await service();
    await introspection.introspect(TOKEN);
    await introspection.invalidate(TOKEN);
    await introspection.introspect(TOKEN);
    expect(as.requests).toHaveLength(2);
  });

  it('does not cache the answer of an introspection under way when the token is invalidated', async () => {
    const introspection = await service();
    holdAnswers();
    const pending = introspection.introspect(TOKEN);
    await new Promise((resolve) => setImmediate(resolve));
    await introspection.invalidate(TOKEN);
    await release(200, activeAnswer());
    expect((await pending).active).toBe(true);

    as.answerJson(200, { active: false });
    expect((await introspection.introspect(TOKEN)).active).toBe(false);
  });

  it('keeps an inactive answer for negativeTtl only', async () => {
    const introspection = await service({ cache: { ttl: '60s', negativeTtl: '5s' } });
    as.answerJson(200, { active: false });
    await introspection.introspect(TOKEN);
    clock.time += 4_999;
    await introspection.introspect(TOKEN);
    expect(as.requests).toHaveLength(1);
    clock.time += 1;
    await introspection.introspect(TOKEN);
    expect(as.requests).toHaveLength(2);
  });

  describe('invalidate() when the store fails', () => {
    beforeEach(() => {
      jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    });

    it('deletes the entry right after a store failure, so the token is introspected again', async () => {
      const { keyv: cache, state } = flakyStore();
      const introspection = await service({ cache: { store: cache, secret: CACHE_SECRET } });
      await introspection.introspect(TOKEN);
      // One failed read puts the store in its 5 s bypass window.
      state.failing = true;
      await introspection.introspect('another-token');
      state.failing = false;
      await introspection.invalidate(TOKEN);
      as.answerJson(200, { active: false });
      clock.time += 5_000;
      expect((await introspection.introspect(TOKEN)).active).toBe(false);
      expect(as.requests).toHaveLength(1);
    });

    it('rejects when the entry cannot be deleted, and never serves it again from this instance', async () => {
      const { keyv: cache, state } = flakyStore();
      const introspection = await service({ cache: { store: cache, secret: CACHE_SECRET } });
      await introspection.introspect(TOKEN);
      state.failing = true;
      await expect(introspection.invalidate(TOKEN)).rejects.toBeInstanceOf(IntrospectionCacheError);
      state.failing = false;
      as.answerJson(200, { active: false });
      clock.time += 5_000;
      expect((await introspection.introspect(TOKEN)).active).toBe(false);
      expect(as.requests).toHaveLength(1);
    });
  });

  it('introspects every time past the in-process tier, without failing, when the store fails', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const failing = () => Promise.reject(new Error('store down'));
    const store = { get: failing, set: failing, delete: failing, clear: failing };
    const introspection = await service({
      cache: { store: new Keyv({ store, throwOnErrors: true }), secret: CACHE_SECRET, localTtl: '1s' },
    });
    expect((await introspection.introspect(TOKEN)).active).toBe(true);
    // Within cache.localTtl the answer comes from memory, store or not…
    clock.time += 999;
    expect((await introspection.introspect(TOKEN)).active).toBe(true);
    expect(as.requests).toHaveLength(1);
    // …past it, the server is asked again (and its answer kept in memory again).
    clock.time += 1;
    expect((await introspection.introspect(TOKEN)).active).toBe(true);
    expect((await introspection.introspect(TOKEN)).active).toBe(true);
    expect(as.requests).toHaveLength(2);
  });
});
