import { Injectable } from '@nestjs/common';
import { mergeOptions } from '../test-support/option-at';
import { Test, TestingModule } from '@nestjs/testing';
import { decodeJwt } from 'jose';
import type { ClientAuthRequest, ClientAuthStrategy } from './client-auth/client-auth-strategy.interface';
import {
  IntrospectionCircuitOpenError,
  IntrospectionResponseError,
  IntrospectionUnavailableError,
} from './errors/introspection.errors';
import { IntrospectionEventMap, IntrospectionEvents } from './events/introspection-events';
import type { IntrospectionModuleOptions } from './interfaces/introspection-options.interface';
import { INTROSPECTION_CLOCK } from './introspection.constants';
import { IntrospectionModule } from './introspection.module';
import { IntrospectionService } from './introspection.service';
import { closedPort, FakeAuthorizationServer } from '../test-support/fake-authorization-server';
import { rejectionOf } from '../test-support/rejection-of';

// Retries, the circuit breaker and the events, against a real local HTTP
// server that produces the faults; time moves by the module's clock.

const TOKEN = 'cmVzaWxpZW5jZQ';

class FakeClock {
  time = 1_800_000_000_000;
  now = () => this.time;
}

/** A strategy that numbers every request it authenticates, the way a JWT assertion carries a fresh jti. */
@Injectable()
class NumberedStrategy implements ClientAuthStrategy {
  readonly method: string = 'numbered';
  count = 0;
  authenticate(request: ClientAuthRequest): void {
    request.body.set('client_id', 'api');
    request.body.set('nonce', String(++this.count));
  }
}

/** A {@link NumberedStrategy} whose credentials go stale: it renews them once after a 401. */
@Injectable()
class RenewingStrategy extends NumberedStrategy {
  override readonly method = 'renewing';
  renewals = 0;
  onUnauthorized(): boolean {
    this.renewals++;
    return true;
  }
}

describe('IntrospectionService resilience', () => {
  let as: FakeAuthorizationServer;
  let moduleRef: TestingModule | undefined;
  let clock: FakeClock;
  let events: Array<[string, unknown]>;

  const activeAnswer = () => ({ active: true, token_type: 'Bearer', exp: clock.now() / 1000 + 3600 });

  async function service(
    options: Partial<IntrospectionModuleOptions> = {},
    { endpoint = as.endpoint } = {},
  ): Promise<IntrospectionService> {
    moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot({
          ...mergeOptions(
            { endpoint, clientId: 'api', clientSecret: 'secret', transport: { retryBackoff: '1ms' } },
            options,
          ),
          clientAuthStrategies: [NumberedStrategy, RenewingStrategy],
        }),
      ],
    })
      .overrideProvider(INTROSPECTION_CLOCK)
      .useValue(clock)
      .compile();
    await moduleRef.init();
    const emitter = moduleRef.get(IntrospectionEvents);
    for (const name of [
      'introspection.started',
      'introspection.succeeded',
      'introspection.failed',
      'introspection.retry',
      'breaker.opened',
      'breaker.half_opened',
      'breaker.closed',
      'cache.hit',
      'cache.miss',
    ] as const) {
      emitter.on(name, (payload: IntrospectionEventMap[typeof name]) => events.push([name, payload]));
    }
    return moduleRef.get(IntrospectionService);
  }

  /** Answers the first `failures` requests with `status`, the rest with an active answer. */
  function failFirst(failures: number, status: number): void {
    let seen = 0;
    as.answerWith((_request, res) => {
      const body = ++seen <= failures ? { error: 'temporarily_unavailable' } : activeAnswer();
      res.writeHead(seen <= failures ? status : 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  }

  beforeAll(async () => {
    as = await FakeAuthorizationServer.start();
  });

  beforeEach(() => {
    clock = new FakeClock();
    events = [];
    as.answerJson(200, activeAnswer());
  });

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  afterAll(async () => {
    await as?.close();
  });

  describe('retries', () => {
    it.each([502, 503, 504])('retries HTTP %i once and uses the second answer', async (status) => {
      const introspection = await service();
      failFirst(1, status);
      expect((await introspection.introspect(TOKEN)).active).toBe(true);
      expect(as.requests).toHaveLength(2);
    });

    it.each([502, 503, 504])('gives up after one retry of HTTP %i', async (status) => {
      const introspection = await service();
      failFirst(5, status);
      expect(await rejectionOf(introspection.introspect(TOKEN))).toBeInstanceOf(
        IntrospectionUnavailableError,
      );
      expect(as.requests).toHaveLength(2);
    });

    it('retries as often as configured', async () => {
      const introspection = await service({ transport: { retries: 3 } });
      failFirst(3, 503);
      expect((await introspection.introspect(TOKEN)).active).toBe(true);
      expect(as.requests).toHaveLength(4);
    });

    it('does not retry with retries: 0', async () => {
      const introspection = await service({ transport: { retries: 0 } });
      failFirst(1, 503);
      await rejectionOf(introspection.introspect(TOKEN));
      expect(as.requests).toHaveLength(1);
    });

    it.each<[string, number, unknown]>([
      ['500', 500, { error: 'server_error' }],
      ['429', 429, { error: 'slow_down' }],
      ['400 invalid_request', 400, { error: 'invalid_request' }],
      ['401 invalid_client', 401, { error: 'invalid_client' }],
      ['403', 403, {}],
      ['404', 404, {}],
    ])('never retries HTTP %s', async (_case, status, body) => {
      const introspection = await service({ transport: { retries: 3 } });
      as.answerJson(status, body);
      await rejectionOf(introspection.introspect(TOKEN));
      expect(as.requests).toHaveLength(1);
    });

    it('passes Retry-After of a 429 on without retrying', async () => {
      const introspection = await service({ transport: { retries: 3 } });
      as.answerJson(429, { error: 'slow_down' }, { 'Retry-After': '17' });
      const error = await rejectionOf(introspection.introspect(TOKEN));
      expect(error).toBeInstanceOf(IntrospectionUnavailableError);
      expect((error as IntrospectionUnavailableError).retryAfter).toBe(17);
      expect(as.requests).toHaveLength(1);
    });

    it('never retries an answer about the token, nor a malformed one', async () => {
      const introspection = await service({ transport: { retries: 3 } });
      as.answerJson(200, { active: false });
      expect((await introspection.introspect(TOKEN)).active).toBe(false);
      as.answerJson(200, '{"active":"true"}');
      expect(await rejectionOf(introspection.introspect(TOKEN))).toBeInstanceOf(IntrospectionResponseError);
      expect(as.requests).toHaveLength(1);
    });

    it('retries a connection reset mid-body', async () => {
      const introspection = await service();
      let seen = 0;
      as.answerWith((_request, res) => {
        if (++seen === 1) {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
          res.write('{"active":tr');
          setImmediate(() => res.socket?.destroy());
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(activeAnswer()));
      });
      expect((await introspection.introspect(TOKEN)).active).toBe(true);
      expect(as.requests).toHaveLength(2);
    });

    it('retries a refused connection, then reports the outage', async () => {
      const port = await closedPort();
      const introspection = await service({}, { endpoint: `http://127.0.0.1:${port}/introspect` });
      const error = await rejectionOf(introspection.introspect(TOKEN));
      expect(error).toBeInstanceOf(IntrospectionUnavailableError);
      expect(error.message).toContain('ECONNREFUSED');
      expect(events.filter(([name]) => name === 'introspection.retry')).toHaveLength(1);
      expect(events).toContainEqual([
        'introspection.failed',
        expect.objectContaining({ attempts: 2, outcome: 'unavailable' }),
      ]);
    });

    it('authenticates every attempt afresh (a new assertion per retry)', async () => {
      const introspection = await service({ endpointAuthMethod: 'numbered' });
      failFirst(1, 503);
      await introspection.introspect(TOKEN);
      expect(as.requests.map((request) => request.form.get('nonce'))).toEqual(['1', '2']);
    });

    it('signs a new JWT assertion, with a new jti, for every attempt', async () => {
      const introspection = await service({
        endpointAuthMethod: 'client_secret_jwt',
        issuer: 'https://as.example.com',
        clientSecret: 'a-client-secret-of-at-least-32-bytes',
      });
      failFirst(1, 503);
      await introspection.introspect(TOKEN);
      const jtis = as.requests.map((request) => decodeJwt(request.form.get('client_assertion')!).jti);
      expect(jtis).toHaveLength(2);
      expect(jtis[0]).toEqual(expect.any(String));
      expect(jtis[1]).not.toBe(jtis[0]);
    });

    it('renews stale credentials after a 401 once, and still retries a transient failure', async () => {
      const introspection = await service({ endpointAuthMethod: 'renewing' });
      let seen = 0;
      as.answerWith((_request, res) => {
        const status = [401, 503][seen++] ?? 200;
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(status === 200 ? activeAnswer() : { error: 'invalid_token' }));
      });
      expect((await introspection.introspect(TOKEN)).active).toBe(true);
      expect(as.requests.map((request) => request.form.get('nonce'))).toEqual(['1', '2', '3']);
      expect(moduleRef!.get(RenewingStrategy).renewals).toBe(1);
    });

    it('renews at most once per introspection, then reports the rejection', async () => {
      const introspection = await service({ endpointAuthMethod: 'renewing', transport: { retries: 3 } });
      as.answerJson(401, { error: 'invalid_client' });
      const error = await rejectionOf(introspection.introspect(TOKEN));
      expect(error).toBeInstanceOf(IntrospectionResponseError);
      expect((error as IntrospectionResponseError).reason).toBe('client_authentication_failed');
      expect(as.requests).toHaveLength(2);
    });

    it('does not retry when the backoff would not fit in the deadline', async () => {
      const introspection = await service({ transport: { timeout: '200ms', retryBackoff: '1h' } });
      failFirst(1, 503);
      await rejectionOf(introspection.introspect(TOKEN));
      expect(as.requests).toHaveLength(1);
    });

    it('keeps one deadline for every attempt together', async () => {
      const introspection = await service({ transport: { timeout: '300ms', retries: 5 } });
      // The first answer is a 503 after most of the deadline; the retry never answers.
      let seen = 0;
      as.answerWith((_request, res) => {
        if (++seen === 1) {
          res.writeHead(503).end();
        }
      });
      const error = await rejectionOf(introspection.introspect(TOKEN));
      expect(error.message).toContain('did not answer within 300 ms');
      expect(events).toContainEqual([
        'introspection.failed',
        expect.objectContaining({ attempts: 2, outcome: 'unavailable' }),
      ]);
    });
  });

  describe('circuit breaker', () => {
    async function failTimes(introspection: IntrospectionService, times: number): Promise<void> {
      for (let i = 0; i < times; i++) {
        await rejectionOf(introspection.introspect(TOKEN));
      }
    }

    /** One introspection that fails with the endpoint answering `status` and `body`. */
    async function failOnceWith(introspection: IntrospectionService, status: number, body: unknown) {
      as.answerJson(status, body);
      await failTimes(introspection, 1);
    }

    async function expectRefusedByBreaker(introspection: IntrospectionService): Promise<void> {
      expect(await rejectionOf(introspection.introspect(TOKEN))).toBeInstanceOf(
        IntrospectionCircuitOpenError,
      );
    }

    it('opens after 5 consecutive failures and stops calling the endpoint for the cool-down', async () => {
      const introspection = await service({ transport: { retries: 0 } });
      as.answerJson(500, { error: 'server_error' });
      await failTimes(introspection, 5);
      expect(as.requests).toHaveLength(5);

      const error = await rejectionOf(introspection.introspect(TOKEN));
      expect(error).toBeInstanceOf(IntrospectionCircuitOpenError);
      expect(error).toBeInstanceOf(IntrospectionUnavailableError);
      expect((error as IntrospectionCircuitOpenError).retryAfter).toBe(10);
      expect(as.requests).toHaveLength(5);
      expect(events).toContainEqual([
        'breaker.opened',
        { endpoint: as.endpoint, failures: 5, cooldownMs: 10_000 },
      ]);
    });

    it('lets one probe through after the cool-down and closes on its success', async () => {
      const introspection = await service({
        transport: { retries: 0 },
        breaker: { threshold: 2, cooldown: '30s' },
      });
      as.answerJson(500, {});
      await failTimes(introspection, 2);
      clock.time += 29_999;
      await expectRefusedByBreaker(introspection);
      clock.time += 1;
      as.answerJson(200, activeAnswer());
      expect((await introspection.introspect(TOKEN)).active).toBe(true);
      expect(as.requests).toHaveLength(1);
      expect((await introspection.introspect(TOKEN)).active).toBe(true);
      expect(events.map(([name]) => name).filter((name) => name.startsWith('breaker.'))).toEqual([
        'breaker.opened',
        'breaker.half_opened',
        'breaker.closed',
      ]);
    });

    it('refuses the callers that arrive while the probe is under way', async () => {
      const introspection = await service({ transport: { retries: 0 }, breaker: { threshold: 1 } });
      as.answerJson(500, {});
      await failTimes(introspection, 1);
      clock.time += 10_000;
      const held: Array<() => void> = [];
      as.answerWith((_request, res) =>
        held.push(() =>
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(activeAnswer())),
        ),
      );
      const probe = introspection.introspect(TOKEN);
      const others = await Promise.all(
        Array.from({ length: 5 }, () => rejectionOf(introspection.introspect(`${TOKEN}x`))),
      );
      expect(others.every((error) => error instanceof IntrospectionCircuitOpenError)).toBe(true);
      while (held.length === 0) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      held[0]();
      expect((await probe).active).toBe(true);
      expect(as.requests).toHaveLength(1);
    });

    it.each<[string, number, unknown]>([
      ['inactive answers', 200, { active: false }],
      ['400 unsupported_token_type (a garbage token)', 400, { error: 'unsupported_token_type' }],
    ])('never opens for %s: they are verdicts on tokens', async (_case, status, body) => {
      const introspection = await service({ breaker: { threshold: 2 } });
      as.answerJson(status, body);
      for (let i = 0; i < 20; i++) {
        expect((await introspection.introspect(`${TOKEN}${i}`)).active).toBe(false);
      }
      expect(as.requests).toHaveLength(20);
      expect(events.filter(([name]) => name === 'breaker.opened')).toEqual([]);
    });

    it.each<[string, number, unknown]>([
      ['400 invalid_request (a token too long for the server)', 400, { error: 'invalid_request' }],
      ['403 from a WAF', 403, '<html>Request blocked</html>'],
      ['404', 404, ''],
      ['413 from a gateway', 413, ''],
      ['414 URI Too Long (method GET)', 414, ''],
      ['431 from a gateway', 431, ''],
      ['a redirect to a block page', 302, ''],
    ])(
      'never opens for %s: the endpoint answered about the request, legitimate tokens still get in',
      async (_case, status, body) => {
        const introspection = await service({ breaker: { threshold: 2 } });
        as.answerJson(status, body);
        for (let i = 0; i < 20; i++) {
          const error = await rejectionOf(introspection.introspect(`${TOKEN}${i}`));
          expect(error).toBeInstanceOf(IntrospectionResponseError);
          expect((error as IntrospectionResponseError).reason).toBe('unexpected_status');
        }
        expect(as.requests).toHaveLength(20);
        expect(events.filter(([name]) => name === 'breaker.opened')).toEqual([]);
        as.answerJson(200, activeAnswer());
        expect((await introspection.introspect(TOKEN)).active).toBe(true);
      },
    );

    it('neither lets such answers reset the count of real failures', async () => {
      const introspection = await service({ transport: { retries: 0 }, breaker: { threshold: 3 } });
      // Three outages, with a garbage token's 400 after each.
      for (const status of [500, 400, 500, 400, 500, 400]) {
        await failOnceWith(introspection, status, {});
      }
      await expectRefusedByBreaker(introspection);
    });

    it('lets the next caller probe when a probe is answered 4xx', async () => {
      const introspection = await service({ transport: { retries: 0 }, breaker: { threshold: 1 } });
      await failOnceWith(introspection, 500, {});
      clock.time += 10_000;
      await failOnceWith(introspection, 414, '');
      as.answerJson(200, activeAnswer());
      expect((await introspection.introspect(TOKEN)).active).toBe(true);
      expect(events.map(([name]) => name).filter((name) => name.startsWith('breaker.'))).toEqual([
        'breaker.opened',
        'breaker.half_opened',
        'breaker.closed',
      ]);
    });

    it.each<[string, number, unknown]>([
      ['401', 401, ''],
      ['400 invalid_client', 400, { error: 'invalid_client' }],
    ])(
      'counts a rejection of our client authentication (%s): the same for every token',
      async (_case, status, body) => {
        const introspection = await service({ transport: { retries: 0 }, breaker: { threshold: 2 } });
        as.answerJson(status, body);
        await failTimes(introspection, 2);
        await expectRefusedByBreaker(introspection);
        expect(as.requests).toHaveLength(2);
      },
    );

    it('counts only consecutive failures: an answer in between resets the count', async () => {
      const introspection = await service({ transport: { retries: 0 }, breaker: { threshold: 3 } });
      for (let i = 0; i < 5; i++) {
        as.answerJson(500, {});
        await failTimes(introspection, 2);
        as.answerJson(200, { active: false });
        await introspection.introspect(TOKEN);
      }
      expect(events.filter(([name]) => name === 'breaker.opened')).toEqual([]);
    });

    it('counts malformed answers and timeouts as failures', async () => {
      const introspection = await service({
        transport: { retries: 0, timeout: '100ms' },
        breaker: { threshold: 2 },
      });
      await failOnceWith(introspection, 200, '<html>Oops</html>');
      as.answerWith(() => undefined);
      await failTimes(introspection, 1);
      await expectRefusedByBreaker(introspection);
    });

    it('is disabled with circuitBreakerThreshold: 0', async () => {
      const introspection = await service({ transport: { retries: 0 }, breaker: { threshold: 0 } });
      as.answerJson(500, {});
      await failTimes(introspection, 20);
      expect(as.requests).toHaveLength(20);
    });
  });

  describe('stale-if-error', () => {
    const options = {
      cache: { ttl: '60s', staleIfError: '5m' },
      transport: { retries: 0 },
      breaker: { threshold: 0 },
    };

    it('uses an active answer past ttl when the endpoint cannot answer, within the window', async () => {
      const introspection = await service(options);
      await introspection.introspect(TOKEN);
      clock.time += 60_000 + 5 * 60_000 - 1;
      as.answerJson(503, {});
      expect((await introspection.introspect(TOKEN)).active).toBe(true);
      expect(as.requests).toHaveLength(1);
      expect(events).toContainEqual(['cache.hit', { stale: true }]);
    });

    it('refuses once the window is over', async () => {
      const introspection = await service(options);
      await introspection.introspect(TOKEN);
      clock.time += 60_000 + 5 * 60_000;
      as.answerJson(503, {});
      expect(await rejectionOf(introspection.introspect(TOKEN))).toBeInstanceOf(
        IntrospectionUnavailableError,
      );
    });

    it("never uses an answer past the token's exp", async () => {
      const introspection = await service(options);
      as.answerJson(200, { active: true, token_type: 'Bearer', exp: clock.now() / 1000 + 90 });
      await introspection.introspect(TOKEN);
      clock.time += 89_999;
      as.answerJson(503, {});
      expect((await introspection.introspect(TOKEN)).active).toBe(true);
      clock.time += 1;
      expect(await rejectionOf(introspection.introspect(TOKEN))).toBeInstanceOf(
        IntrospectionUnavailableError,
      );
    });

    it('also stands in while the breaker is open', async () => {
      const introspection = await service(mergeOptions(options, { breaker: { threshold: 1 } }));
      await introspection.introspect(TOKEN);
      clock.time += 61_000;
      as.answerJson(500, {});
      expect((await introspection.introspect(TOKEN)).active).toBe(true);
      expect((await introspection.introspect(TOKEN)).active).toBe(true);
      expect(as.requests).toHaveLength(1);
      expect(events.filter(([name]) => name === 'breaker.opened')).toHaveLength(1);
    });

    it('never uses an inactive answer, nor serves a token never seen', async () => {
      const introspection = await service(mergeOptions(options, { cache: { negativeTtl: '60s' } }));
      as.answerJson(200, { active: false });
      await introspection.introspect(TOKEN);
      clock.time += 60_000;
      as.answerJson(503, {});
      expect(await rejectionOf(introspection.introspect(TOKEN))).toBeInstanceOf(
        IntrospectionUnavailableError,
      );
      expect(await rejectionOf(introspection.introspect(`${TOKEN}new`))).toBeInstanceOf(
        IntrospectionUnavailableError,
      );
    });

    it('never stands in for an unusable answer', async () => {
      const introspection = await service(options);
      await introspection.introspect(TOKEN);
      clock.time += 61_000;
      as.answerJson(200, '{"active":"true"}');
      expect(await rejectionOf(introspection.introspect(TOKEN))).toBeInstanceOf(IntrospectionResponseError);
    });

    it('is off by default', async () => {
      const introspection = await service({ cache: { ttl: '60s' }, transport: { retries: 0 } });
      await introspection.introspect(TOKEN);
      clock.time += 60_001;
      as.answerJson(503, {});
      expect(await rejectionOf(introspection.introspect(TOKEN))).toBeInstanceOf(
        IntrospectionUnavailableError,
      );
    });

    it('takes a fresh answer over the stale one as soon as the endpoint answers', async () => {
      const introspection = await service(options);
      await introspection.introspect(TOKEN);
      clock.time += 61_000;
      as.answerJson(200, { active: false });
      expect((await introspection.introspect(TOKEN)).active).toBe(false);
    });
  });

  describe('events', () => {
    it('reports a started and a succeeded introspection with duration, attempts and verdict', async () => {
      const introspection = await service();
      failFirst(1, 502);
      await introspection.introspect(TOKEN);
      expect(events).toEqual([
        ['introspection.started', { endpoint: as.endpoint }],
        ['introspection.retry', { endpoint: as.endpoint, attempt: 1, delayMs: expect.any(Number) }],
        [
          'introspection.succeeded',
          { endpoint: as.endpoint, durationMs: expect.any(Number), attempts: 2, active: true },
        ],
      ]);
    });

    it.each<[string, number, unknown, string]>([
      ['a malformed answer', 200, '{"active":1}', 'malformed_response'],
      ['rejected credentials', 401, { error: 'invalid_client' }, 'client_authentication_failed'],
      ['an outage', 500, {}, 'unavailable'],
      ['an unexpected status', 404, {}, 'unexpected_status'],
    ])('reports the outcome of %s', async (_case, status, body, outcome) => {
      const introspection = await service();
      as.answerJson(status, body);
      await rejectionOf(introspection.introspect(TOKEN));
      expect(events).toContainEqual([
        'introspection.failed',
        expect.objectContaining({ outcome, attempts: 1 }),
      ]);
    });

    it('reports cache misses and hits', async () => {
      const introspection = await service({ cache: { ttl: '60s' } });
      await introspection.introspect(TOKEN);
      await introspection.introspect(TOKEN);
      expect(events.filter(([name]) => name.startsWith('cache.'))).toEqual([
        ['cache.miss', {}],
        ['cache.hit', { stale: false }],
      ]);
    });

    it('reports a refusal by the open breaker without a started event', async () => {
      const introspection = await service({ transport: { retries: 0 }, breaker: { threshold: 1 } });
      as.answerJson(500, {});
      await rejectionOf(introspection.introspect(TOKEN));
      events.length = 0;
      await rejectionOf(introspection.introspect(TOKEN));
      expect(events).toEqual([
        [
          'introspection.failed',
          { endpoint: as.endpoint, durationMs: 0, attempts: 0, outcome: 'circuit_open' },
        ],
      ]);
    });

    it('never fails an introspection because a listener throws', async () => {
      const introspection = await service();
      moduleRef!.get(IntrospectionEvents).on('introspection.succeeded', () => {
        throw new Error('listener bug');
      });
      expect((await introspection.introspect(TOKEN)).active).toBe(true);
    });
  });
});
