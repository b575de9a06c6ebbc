import { Test, type TestingModule } from '@nestjs/testing';
import { SignJWT } from 'jose';
import { closedPort, FakeAuthorizationServer } from '../../test-support/fake-authorization-server';
import { rejectionOf } from '../../test-support/rejection-of';
import {
  CREDENTIAL_CHANGE,
  securityEventTransmitter,
  SESSION_REVOKED,
  type SecurityEventTransmitter,
} from '../../test-support/security-event-transmitter';
import { IntrospectionUnavailableError } from '../errors/introspection.errors';
import type { Clock } from '../interfaces/clock.interface';
import type { SecurityEventsOptions } from '../interfaces/security-events-options.interface';
import { INTROSPECTION_CLOCK } from '../introspection.constants';
import { IntrospectionModule } from '../introspection.module';
import { SecurityEventError } from './security-event.errors';
import { MAX_EVENTS_PER_SET, SecurityEventTokenVerifier } from './security-event-token.verifier';

const AUDIENCE = 'orders-api';
const START_MS = 1_800_000_000_000;

describe('SecurityEventTokenVerifier', () => {
  let jwks: FakeAuthorizationServer;
  let transmitter: SecurityEventTransmitter;
  let impostor: SecurityEventTransmitter;
  let nowMs = START_MS;
  const clock: Clock = { now: () => nowMs };
  const nowS = () => Math.floor(nowMs / 1000);
  const modules: TestingModule[] = [];

  const verifierWith = async (settings: Partial<SecurityEventsOptions> = {}) => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot({
          endpoint: `${jwks.origin}/introspect`,
          clientId: AUDIENCE,
          clientSecret: 'secret',
          securityEvents: { issuer: jwks.origin, jwksUri: `${jwks.origin}/jwks`, ...settings },
        }),
      ],
    })
      .overrideProvider(INTROSPECTION_CLOCK)
      .useValue(clock)
      .compile();
    modules.push(moduleRef);
    return moduleRef.get(SecurityEventTokenVerifier);
  };

  /** The RFC 8935 code `jwt` is refused with. */
  const refusal = async (jwt: string | Promise<string>, settings?: Partial<SecurityEventsOptions>) => {
    const error = await rejectionOf((await verifierWith(settings)).verify(await jwt));
    expect(error).toBeInstanceOf(SecurityEventError);
    return {
      code: (error as SecurityEventError).code,
      description: (error as SecurityEventError).description,
    };
  };

  beforeAll(async () => {
    jwks = await FakeAuthorizationServer.start();
    transmitter = await securityEventTransmitter({ issuer: jwks.origin, audience: AUDIENCE, nowS });
    // Same issuer and kid, another key: what a forger would send.
    impostor = await securityEventTransmitter({ issuer: jwks.origin, audience: AUDIENCE, nowS });
    jwks.answerJson(200, { keys: [transmitter.publicJwk] });
  });

  afterEach(async () => {
    nowMs = START_MS;
    await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
  });

  afterAll(() => jwks.close());

  it('accepts a SET signed by the transmitter and returns its jti, iat, events and subject', async () => {
    const verifier = await verifierWith();
    const set = await verifier.verify(
      await transmitter.sign({
        jti: 'set-1',
        events: { [SESSION_REVOKED]: { event_timestamp: nowS() - 5 } },
      }),
    );
    expect(set).toStrictEqual({
      jti: 'set-1',
      iat: nowS(),
      events: { [SESSION_REVOKED]: { event_timestamp: nowS() - 5 } },
      subId: { format: 'opaque', id: 'alice' },
    });
  });

  it.each(['SECEVENT+JWT', 'application/secevent+jwt'])(
    'reads typ %s as secevent+jwt (RFC 8725 §3.11)',
    async (typ) => {
      await expect((await verifierWith()).verify(await transmitter.sign({}, { typ }))).resolves.toMatchObject(
        {
          iat: nowS(),
        },
      );
    },
  );

  it('accepts an aud array that names the receiver, and a configured audience', async () => {
    await expect(
      (await verifierWith()).verify(await transmitter.sign({ aud: ['other', AUDIENCE] })),
    ).resolves.toBeDefined();
    await expect(
      (await verifierWith({ audience: 'urn:orders' })).verify(await transmitter.sign({ aud: 'urn:orders' })),
    ).resolves.toBeDefined();
  });

  it.each([
    ['no typ', {}, { typ: undefined }],
    ['typ JWT', {}, { typ: 'JWT' }],
    ['a crit header', {}, { crit: ['b64'], b64: true }],
    ['no iat', { iat: undefined }, {}],
    ['a string iat', { iat: String(START_MS / 1000) }, {}],
    ['no jti', { jti: undefined }, {}],
    ['an empty jti', { jti: '' }, {}],
    ['a jti of 257 characters', { jti: 'j'.repeat(257) }, {}],
    ['no events', { events: undefined }, {}],
    ['events as an array', { events: [SESSION_REVOKED] }, {}],
    ['no event in events', { events: {} }, {}],
    ['an event payload that is not an object', { events: { [SESSION_REVOKED]: 'revoked' } }, {}],
    ['a sub_id that is not an object', { sub_id: 'alice' }, {}],
    ['an exp in the past', { exp: START_MS / 1000 - 60 }, {}],
  ])('refuses %s: invalid_request', async (_case, claims, header) => {
    expect((await refusal(transmitter.sign(claims, header))).code).toBe('invalid_request');
  });

  it(`refuses more than ${MAX_EVENTS_PER_SET} events in one SET (bounded work), accepts ${MAX_EVENTS_PER_SET}`, async () => {
    const events = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`urn:example:event:${i}`, {}]));
    expect((await refusal(transmitter.sign({ events: events(MAX_EVENTS_PER_SET + 1) }))).description).toMatch(
      /1 to 10 events/,
    );
    await expect(
      (await verifierWith()).verify(await transmitter.sign({ events: events(10) })),
    ).resolves.toBeDefined();
  });

  it.each([
    ['a body that is no JWT', 'not-a-jwt'],
    ['an unsigned JWT (alg none, no signature)', `${b64({ alg: 'none', typ: 'secevent+jwt' })}.${b64({})}.`],
    ['a JWE (five parts)', 'a.b.c.d.e'],
    ['a header that is not JSON', `${Buffer.from('{').toString('base64url')}.${b64({})}.c2ln`],
    [
      'a payload that is not JSON',
      `${b64({ alg: 'ES256', typ: 'secevent+jwt' })}.${Buffer.from('[').toString('base64url')}.c2ln`,
    ],
    ['a payload that is a JSON array', `${b64({ alg: 'ES256', typ: 'secevent+jwt' })}.${b64([1])}.c2ln`],
  ])('refuses %s: invalid_request', async (_case, jwt) => {
    expect((await refusal(jwt)).code).toBe('invalid_request');
  });

  it('refuses another issuer: invalid_issuer', async () => {
    expect(await refusal(transmitter.sign({ iss: 'https://evil.example.com' }))).toStrictEqual({
      code: 'invalid_issuer',
      description: 'The SET\'s "iss" is not the configured transmitter issuer.',
    });
  });

  it.each([
    ['another audience', { aud: 'payments-api' }],
    ['no aud', { aud: undefined }],
    ['an aud array without the receiver', { aud: ['payments-api'] }],
  ])('refuses %s: invalid_audience', async (_case, claims) => {
    expect((await refusal(transmitter.sign(claims))).code).toBe('invalid_audience');
  });

  it('refuses a signature by another key under the same kid: invalid_key', async () => {
    expect((await refusal(impostor.sign())).code).toBe('invalid_key');
  });

  it('refuses a kid the JWK Set does not hold: invalid_key', async () => {
    expect((await refusal(impostor.sign({}, { kid: 'unknown' }))).code).toBe('invalid_key');
  });

  it.each([
    ['alg none with a signature', 'none'],
    ['HS256 (a shared secret)', 'HS256'],
    ['an unknown algorithm', 'XS256'],
  ])('refuses %s: invalid_key, before any key is fetched', async (_case, alg) => {
    jwks.reset();
    jwks.answerJson(200, { keys: [transmitter.publicJwk] });
    const jwt =
      alg === 'HS256'
        ? await new SignJWT({
            iss: jwks.origin,
            aud: AUDIENCE,
            iat: nowS(),
            jti: 'h',
            events: { [SESSION_REVOKED]: {} },
          })
            .setProtectedHeader({ alg, typ: 'secevent+jwt' })
            .sign(new TextEncoder().encode('a-shared-secret-of-32-bytes-long!'))
        : `${b64({ alg, typ: 'secevent+jwt' })}.${b64({ iss: jwks.origin, aud: AUDIENCE })}.c2ln`;
    expect((await refusal(jwt)).code).toBe('invalid_key');
    expect(jwks.requestsTo('/jwks')).toHaveLength(0);
  });

  it('refuses a SET older than maxAge and one from the future (beyond the clock tolerance)', async () => {
    const tooOld = transmitter.sign({ iat: nowS() - 301 - 5 });
    expect((await refusal(tooOld)).description).toMatch(/older than 300s/);
    expect((await refusal(transmitter.sign({ iat: nowS() - 66 }), { maxAge: '1m' })).description).toMatch(
      /older than 60s/,
    );
    expect((await refusal(transmitter.sign({ iat: nowS() + 6 }))).description).toMatch(/in the future/);
    // Within the tolerance (5 s): accepted.
    await expect(
      (await verifierWith()).verify(await transmitter.sign({ iat: nowS() + 4 })),
    ).resolves.toBeDefined();
  });

  it('does not require exp (SETs have none), and accepts one still ahead', async () => {
    await expect(
      (await verifierWith()).verify(
        await transmitter.sign({ exp: nowS() + 60, events: { [CREDENTIAL_CHANGE]: {} } }),
      ),
    ).resolves.toBeDefined();
  });

  it('refuses a replayed jti until it is released, and remembers it only for maxAge', async () => {
    const verifier = await verifierWith({ maxAge: '1m' });
    const first = await transmitter.sign({ jti: 'once' });
    await verifier.verify(first);
    expect((await rejectionOf(verifier.verify(first))) as SecurityEventError).toMatchObject({
      code: 'invalid_request',
      description: 'The SET was received already ("jti").',
    });
    // Another SET with the same jti is a replay too.
    await expect(verifier.verify(await transmitter.sign({ jti: 'once' }))).rejects.toMatchObject({
      code: 'invalid_request',
    });
    verifier.release('once');
    await expect(verifier.verify(first)).resolves.toMatchObject({ jti: 'once' });
    // Past maxAge (and twice the tolerance) the jti is forgotten; a SET that old is refused for its iat anyway.
    nowMs += 71_000;
    await expect(verifier.verify(await transmitter.sign({ jti: 'once' }))).resolves.toMatchObject({
      jti: 'once',
    });
  });

  it('fails with IntrospectionUnavailableError when the JWK Set cannot be fetched (503, not a refusal)', async () => {
    const verifier = await verifierWith({ jwksUri: `http://127.0.0.1:${await closedPort()}/jwks` });
    const error = await rejectionOf(verifier.verify(await transmitter.sign()));
    expect(error).toBeInstanceOf(IntrospectionUnavailableError);
    expect(error.message).toMatch(/JWK Set at http:\/\/127\.0\.0\.1:\d+\/jwks could not be fetched/);
  });

  it('never puts a claim value in a refusal', async () => {
    const { description } = await refusal(transmitter.sign({ iss: 'https://secret-issuer.example.com' }));
    expect(description).not.toContain('secret-issuer');
  });
});

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
