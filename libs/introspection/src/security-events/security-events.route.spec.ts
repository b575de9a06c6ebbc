import { Controller, Post, type INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { FakeAuthorizationServer } from '../../test-support/fake-authorization-server';
import { httpRequest } from '../../test-support/http-request';
import { listen, type ListeningApp } from '../../test-support/listen';
import {
  securityEventTransmitter,
  SESSION_REVOKED,
  type SecurityEventTransmitter,
} from '../../test-support/security-event-transmitter';
import { IntrospectionEvents, type IntrospectionEventMap } from '../events/introspection-events';
import type { InvalidateWhereOptions, RevocationFilter } from '../interfaces/revocation.interface';
import type { SecurityEventsOptions } from '../interfaces/security-events-options.interface';
import { INTROSPECTION_SECURITY_EVENT_ACTIONS } from '../introspection.constants';
import { IntrospectionModule } from '../introspection.module';
import { IntrospectionService } from '../introspection.service';
import type { SecurityEventActions } from './security-event-actions.interface';

const AUDIENCE = 'orders-api';
const SET_TYPE = { 'Content-Type': 'application/secevent+jwt' };
const TRANSMITTER_TOKEN = 'transmitter-token';

/** The security event actions of the registration, recording each call; `fail` makes the next calls throw. */
class RecordingActions implements SecurityEventActions {
  readonly calls: Array<{ filter: RevocationFilter; options: InvalidateWhereOptions }> = [];
  fail = false;

  invalidateWhere(filter: RevocationFilter, options: InvalidateWhereOptions): Promise<void> {
    if (this.fail) {
      return Promise.reject(new Error('store down: alice'));
    }
    this.calls.push({ filter, options });
    return Promise.resolve();
  }
}

@Controller('security-events')
class TakenController {
  @Post()
  take(): string {
    return 'mine';
  }
}

describe.each(['express', 'fastify'] as const)('the security event receiver on %s', (adapter) => {
  let jwks: FakeAuthorizationServer;
  let transmitter: SecurityEventTransmitter;
  const running: ListeningApp[] = [];

  const start = async (
    settings: Partial<SecurityEventsOptions> | null = {},
    {
      controllers = [] as Array<new () => unknown>,
      prefix = '',
      configure = (_app: INestApplication): void => undefined,
    } = {},
  ) => {
    const actions = new RecordingActions();
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot({
          endpoint: `${jwks.origin}/introspect`,
          clientId: AUDIENCE,
          clientSecret: 'secret',
          ...(settings && {
            securityEvents: { issuer: jwks.origin, jwksUri: `${jwks.origin}/jwks`, ...settings },
          }),
        }),
      ],
      controllers,
    })
      .overrideProvider(INTROSPECTION_SECURITY_EVENT_ACTIONS)
      .useValue(actions)
      .compile();
    const app = await listen(moduleRef, adapter, (nest) => {
      if (prefix) {
        nest.setGlobalPrefix(prefix);
      }
      configure(nest);
    });
    running.push(app);
    const events = app.app.get(IntrospectionEvents);
    const seen: Array<{ name: string; payload: unknown }> = [];
    for (const name of [
      'security_event.accepted',
      'security_event.refused',
      'security_event.ignored',
    ] as const) {
      events.on(name, (payload: IntrospectionEventMap[typeof name]) => seen.push({ name, payload }));
    }
    const push = (body: string, headers: Record<string, string> = SET_TYPE, path = '/security-events') =>
      httpRequest(`${app.url}${path}`, { method: 'POST', headers, body });
    return { actions, seen, push, url: app.url };
  };

  beforeAll(async () => {
    jwks = await FakeAuthorizationServer.start();
    transmitter = await securityEventTransmitter({ issuer: jwks.origin, audience: AUDIENCE });
    jwks.answerWith((request, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      // The transmitter's keys; its token, the only active one.
      res.end(
        JSON.stringify(
          request.path === '/jwks'
            ? { keys: [transmitter.publicJwk] }
            : { active: request.form.get('token') === TRANSMITTER_TOKEN },
        ),
      );
    });
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map(({ app }) => app.close()));
  });

  afterAll(() => jwks.close());

  it('answers 202 with no body and revokes the subject before the end of the SET iat second', async () => {
    const { actions, seen, push } = await start();
    const iat = Math.floor(Date.now() / 1000) - 2;
    const answer = await push(await transmitter.sign({ iat }));
    expect(answer.status).toBe(202);
    expect(answer.body).toBe('');
    expect(actions.calls).toStrictEqual([
      { filter: { sub: 'alice' }, options: { before: new Date((iat + 1) * 1000) } },
    ]);
    expect(seen).toStrictEqual([{ name: 'security_event.accepted', payload: { events: [SESSION_REVOKED] } }]);
  });

  it('answers 202 for an unknown event, applies nothing, and reports it ignored', async () => {
    const { actions, seen, push } = await start();
    const answer = await push(await transmitter.sign({ events: { 'urn:example:event:hello': {} } }));
    expect(answer.status).toBe(202);
    expect(actions.calls).toStrictEqual([]);
    expect(seen).toStrictEqual([
      {
        name: 'security_event.ignored',
        payload: { eventType: 'urn:example:event:hello', reason: 'unknown_event' },
      },
      { name: 'security_event.accepted', payload: { events: ['urn:example:event:hello'] } },
    ]);
  });

  it.each([
    ['application/json', '{"set":"x"}'],
    ['text/plain', 'x.y.z'],
  ])('refuses Content-Type %s: 400 invalid_request', async (type, body) => {
    const { push, seen } = await start();
    const answer = await push(body, { 'Content-Type': type });
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.json()).toStrictEqual({
      err: 'invalid_request',
      description: "The request's Content-Type must be application/secevent+jwt (RFC 8935 §2).",
    });
    expect(seen).toStrictEqual([{ name: 'security_event.refused', payload: { reason: 'invalid_request' } }]);
  });

  it('reads the media type without case and with parameters', async () => {
    const { push } = await start();
    const answer = await push(await transmitter.sign(), {
      'Content-Type': 'Application/SecEvent+JWT; charset=utf-8',
    });
    expect(answer.status).toBe(202);
  });

  it.each([
    ['invalid_issuer', { iss: 'https://evil.example.com' }],
    ['invalid_audience', { aud: 'payments-api' }],
    ['invalid_request', { jti: undefined }],
  ])('answers 400 %s, applying nothing', async (code, claims) => {
    const { push, actions } = await start();
    const answer = await push(await transmitter.sign(claims));
    expect(answer.status).toBe(400);
    expect(answer.json().err).toBe(code);
    expect(actions.calls).toStrictEqual([]);
  });

  it('answers 400 invalid_key for a forged signature, and invalid_request for a body that is no JWT', async () => {
    const { push } = await start();
    const forger = await securityEventTransmitter({ issuer: jwks.origin, audience: AUDIENCE });
    expect((await push(await forger.sign())).json().err).toBe('invalid_key');
    expect((await push('hello')).json()).toStrictEqual({
      err: 'invalid_request',
      description: 'The body is not a signed JWT (JWS compact serialization).',
    });
    expect((await push('')).json().err).toBe('invalid_request');
  });

  it('answers 400 invalid_request to a replay', async () => {
    const { push, actions } = await start();
    const set = await transmitter.sign();
    expect((await push(set)).status).toBe(202);
    const replay = await push(set);
    expect(replay.status).toBe(400);
    expect(replay.json()).toStrictEqual({
      err: 'invalid_request',
      description: 'The SET was received already ("jti").',
    });
    expect(actions.calls).toHaveLength(1);
  });

  it('answers 503 with no detail when an event cannot be applied, and accepts the retry', async () => {
    const { push, actions, seen } = await start();
    const set = await transmitter.sign();
    actions.fail = true;
    const failed = await push(set);
    expect(failed.status).toBe(503);
    expect(failed.body).not.toContain('alice');
    expect(seen).toStrictEqual([{ name: 'security_event.refused', payload: { reason: 'unavailable' } }]);
    actions.fail = false;
    expect((await push(set)).status).toBe(202);
    expect(actions.calls).toHaveLength(1);
  });

  it('answers 413 to a body over 64 KiB', async () => {
    const { push, actions } = await start();
    const answer = await push('a'.repeat(64 * 1024 + 1));
    expect(answer.status).toBe(413);
    expect(actions.calls).toStrictEqual([]);
  });

  it('is mounted at securityEvents.path, outside the global prefix', async () => {
    const { push } = await start({ path: '/hooks/set' }, { prefix: 'api' });
    expect((await push(await transmitter.sign(), SET_TYPE, '/hooks/set')).status).toBe(202);
    expect((await push(await transmitter.sign(), SET_TYPE, '/security-events')).status).toBe(404);
  });

  it("reads a SET that a body parser of the application's own read first", async () => {
    const { push, actions } = await start(
      {},
      {
        configure: (nest) => {
          if (adapter === 'express') {
            (nest as NestExpressApplication).useBodyParser('raw', { type: 'application/secevent+jwt' });
          }
        },
      },
    );
    expect((await push(await transmitter.sign())).status).toBe(202);
    expect(actions.calls).toHaveLength(1);
  });

  it('with requireToken, answers 401 authentication_failed without an active bearer token, 202 with one', async () => {
    const { push, actions, seen } = await start({ requireToken: true });
    const missing = await push(await transmitter.sign());
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect(missing.json()).toStrictEqual({
      err: 'authentication_failed',
      description: 'The transmitter must authenticate with a bearer token.',
    });
    const inactive = await push(await transmitter.sign(), { ...SET_TYPE, Authorization: 'Bearer stolen' });
    expect(inactive.status).toBe(401);
    expect(inactive.headers['www-authenticate']).toBe(
      'Bearer error="invalid_token", error_description="The token is not active."',
    );
    expect(inactive.json().err).toBe('authentication_failed');
    expect(actions.calls).toStrictEqual([]);
    const accepted = await push(await transmitter.sign(), {
      ...SET_TYPE,
      Authorization: `Bearer ${TRANSMITTER_TOKEN}`,
    });
    expect(accepted.status).toBe(202);
    expect(actions.calls).toHaveLength(1);
    expect(seen.slice(0, 2)).toStrictEqual([
      { name: 'security_event.refused', payload: { reason: 'authentication_failed' } },
      { name: 'security_event.refused', payload: { reason: 'authentication_failed' } },
    ]);
  });

  it('without requireToken, needs no token: the signature protects the endpoint', async () => {
    const { push } = await start();
    expect((await push(await transmitter.sign())).status).toBe(202);
  });

  it('is not mounted without securityEvents', async () => {
    const { push } = await start(null);
    expect((await push(await transmitter.sign())).status).toBe(404);
  });

  it('stops the boot when the application already answers POST at its path', async () => {
    await expect(start({}, { controllers: [TakenController] })).rejects.toThrow(
      /option "securityEvents\.path" \(env INTROSPECTION_SET_PATH\).*already has a POST route for \/security-events/,
    );
  });
});

describe('the security event receiver with forRootAsync', () => {
  it('is mounted from options a factory returns', async () => {
    const jwks = await FakeAuthorizationServer.start();
    const transmitter = await securityEventTransmitter({ issuer: jwks.origin, audience: AUDIENCE });
    jwks.answerJson(200, { keys: [transmitter.publicJwk] });
    const actions = new RecordingActions();
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRootAsync({
          useFactory: () => ({
            endpoint: `${jwks.origin}/introspect`,
            clientId: AUDIENCE,
            clientSecret: 'secret',
            securityEvents: { issuer: jwks.origin, jwksUri: `${jwks.origin}/jwks`, path: '/set' },
          }),
        }),
      ],
    })
      .overrideProvider(INTROSPECTION_SECURITY_EVENT_ACTIONS)
      .useValue(actions)
      .compile();
    const { app, url } = await listen(moduleRef, 'fastify');
    try {
      const answer = await httpRequest(`${url}/set`, {
        method: 'POST',
        headers: SET_TYPE,
        body: await transmitter.sign({ sub_id: { format: 'opaque', id: 'bob' } }),
      });
      expect(answer.status).toBe(202);
      expect(actions.calls.map(({ filter }) => filter)).toStrictEqual([{ sub: 'bob' }]);
    } finally {
      await app.close();
      await jwks.close();
    }
  });
});

describe('security event receivers of several registrations', () => {
  const registration = (name: string | undefined, path: string) =>
    IntrospectionModule.forRoot({
      endpoint: 'https://as.example.com/introspect',
      clientId: AUDIENCE,
      clientSecret: 'secret',
      ...(name === undefined ? {} : { name, issuer: `https://${name}.example.com` }),
      securityEvents: { issuer: 'https://as.example.com', jwksUri: 'https://as.example.com/jwks', path },
    });

  it.each(['express', 'fastify'] as const)(
    'each get their own path (%s), and one path twice stops the boot',
    async (adapter) => {
      const separate = await Test.createTestingModule({
        imports: [
          registration(undefined, '/security-events'),
          registration('partners', '/partners/security-events'),
        ],
      }).compile();
      const { app, url } = await listen(separate, adapter);
      try {
        for (const path of ['/security-events', '/partners/security-events']) {
          expect(
            (
              await httpRequest(`${url}${path}`, {
                method: 'POST',
                headers: { 'Content-Type': 'text/plain' },
                body: 'x',
              })
            ).status,
          ).toBe(400);
        }
      } finally {
        await app.close();
      }
      const clash = await Test.createTestingModule({
        imports: [registration(undefined, '/security-events'), registration('partners', '/security-events')],
      }).compile();
      await expect(listen(clash, adapter)).rejects.toThrow(
        /option "securityEvents\.path".*already has a POST route/,
      );
    },
  );
});

describe('the security event actions', () => {
  it("are the registration's IntrospectionService (its invalidateWhere)", async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot({
          endpoint: 'https://as.example.com/introspect',
          clientId: AUDIENCE,
          clientSecret: 'secret',
          securityEvents: { issuer: 'https://as.example.com', jwksUri: 'https://as.example.com/jwks' },
        }),
      ],
    }).compile();
    expect(moduleRef.get(INTROSPECTION_SECURITY_EVENT_ACTIONS)).toBe(moduleRef.get(IntrospectionService));
    await moduleRef.close();
  });
});
