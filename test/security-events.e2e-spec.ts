import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { securityEventTransmitter } from '../libs/introspection/test-support/security-event-transmitter';
import { TestAuthorizationServer } from './support/authorization-server';
import {
  ADAPTERS,
  authorizationServerEnv,
  RecordingLogger,
  RunningDemo,
  startDemo,
} from './support/demo-app';
import { bearer, send } from './support/http';
import { DEMO_TRANSMITTER, demoSecurityEvent, pushSecurityEvent } from './support/security-events';

// Pushed Security Event Tokens (RFC 8935) to the demo, whose receiver is
// mounted by INTROSPECTION_SET_ISSUER and INTROSPECTION_SET_JWKS_URI: the
// transmitter is the demo's authorization server (oidc-provider, its own
// process), which publishes the development transmitter key; SETs are
// signed with that key, as npm run demo:security-event does.

const ROOT = join(__dirname, '..');
const SCRIPT = join(ROOT, 'apps/demo/authorization-server/send-security-event.mjs');
const AUDIENCE = 'demo-api';
const SET_TYPE = { 'Content-Type': 'application/secevent+jwt' };

let as: TestAuthorizationServer;

beforeAll(async () => {
  as = await TestAuthorizationServer.start();
});

afterAll(async () => {
  await as?.stop();
});

/** A SET signed with the demo transmitter's development key; `claims` add to or replace its own. */
const demoSet = (claims: Record<string, unknown> = {}) => demoSecurityEvent(as.issuer, claims);

describe.each(ADAPTERS)('security events pushed to the demo on %s', (adapter) => {
  let demo: RunningDemo;
  const logger = new RecordingLogger();
  const push = (body: string, headers: Record<string, string> = SET_TYPE) =>
    pushSecurityEvent(demo.url, body, headers);

  beforeAll(async () => {
    demo = await startDemo(
      adapter,
      authorizationServerEnv(as, {
        INTROSPECTION_SET_ISSUER: as.issuer,
        INTROSPECTION_SET_JWKS_URI: `${as.issuer}${DEMO_TRANSMITTER.jwksPath}`,
        INTROSPECTION_TTL: '60s',
      }),
      { logger },
    );
  });

  afterAll(async () => {
    await demo?.close();
  });

  it('accepts an event type it does not handle with 202, pushed by npm run demo:security-event', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [SCRIPT, '--sub', 'demo-client', '--event', 'https://example.com/event-type/hello'],
      { env: { ...process.env, DEMO_ISSUER: as.issuer, DEMO_API: demo.url } },
    );
    expect(stdout.trim()).toBe(`POST ${demo.url}/security-events -> 202`);
  });

  it.each([
    ['invalid_issuer', { iss: 'https://evil.example.com' }],
    ['invalid_audience', { aud: 'payments-api' }],
    ['invalid_request', { events: undefined }],
  ])('answers 400 %s', async (code, claims) => {
    const answer = await push(await demoSet(claims));
    expect(answer.status).toBe(400);
    expect(answer.json().err).toBe(code);
  });

  it('answers 400 invalid_key for a SET signed with another key under the transmitter kid', async () => {
    const forger = await securityEventTransmitter({
      issuer: as.issuer,
      audience: AUDIENCE,
      kid: DEMO_TRANSMITTER.key.kid,
    });
    const answer = await push(await forger.sign());
    expect(answer.status).toBe(400);
    expect(answer.json()).toStrictEqual({
      err: 'invalid_key',
      description: "The SET's signature does not verify with a key of the transmitter's JWK Set.",
    });
  });

  it('answers 400 invalid_request for another media type and for a replay', async () => {
    const wrongType = await push(await demoSet(), { 'Content-Type': 'text/plain' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json().err).toBe('invalid_request');
    // The platform's JSON parser refuses a JWT sent as JSON before the receiver sees it: 400 all the same.
    expect((await push(await demoSet(), { 'Content-Type': 'application/json' })).status).toBe(400);
    const set = await demoSet({ events: { 'https://example.com/event-type/hello': {} } });
    expect((await push(set)).status).toBe(202);
    expect((await push(set)).json()).toStrictEqual({
      err: 'invalid_request',
      description: 'The SET was received already ("jti").',
    });
  });

  it('never logs a SET nor its jti, whatever the answer', async () => {
    const jti = randomUUID();
    const sets = [await demoSet({ jti }), await demoSet({ jti, iss: 'https://evil.example.com' })];
    for (const set of sets) {
      await push(set);
    }
    expect(logger.messages.some((message) => message.includes('Receiving security events'))).toBe(true);
    for (const secret of [...sets, jti]) {
      expect(logger.messages.filter((message) => message.includes(secret))).toStrictEqual([]);
    }
  });

  it.each([
    ['sub (iss_sub)', { sub: 'subject' }, (sub: string) => ({ format: 'iss_sub', iss: as.issuer, sub })],
    [
      'sid (complex, session opaque)',
      { sid: 'session' },
      (sid: string) => ({ session: { format: 'opaque', id: sid } }),
    ],
  ] as const)(
    'revokes the cached answers of a %s on session-revoked: 202, then 401 long before the cache ttl',
    async (_label, which, subject) => {
      const user = { sub: `user-${randomUUID()}`, sid: randomUUID() };
      const token = await as.mintUserToken(user);
      const bystander = await as.mintUserToken({ sub: `other-${randomUUID()}`, sid: randomUUID() });
      for (const each of [token, bystander]) {
        expect((await send(`${demo.url}/me`, { headers: bearer(each) })).status).toBe(200);
      }
      // Revoked at the server: the cache (60 s) would keep serving it without the event.
      await as.revoke(token);
      expect((await send(`${demo.url}/me`, { headers: bearer(token) })).status).toBe(200);

      const id = 'sub' in which ? user.sub : user.sid;
      expect((await push(await demoSet({ sub_id: subject(id) }))).status).toBe(202);
      const refused = await send(`${demo.url}/me`, { headers: bearer(token) });
      expect(refused.status).toBe(401);
      expect(refused.headers['www-authenticate']).toBe(
        'Bearer realm="demo", error="invalid_token", error_description="The access token is not active."',
      );
      // Another user's token is still served from the cache.
      const before = await as.introspectionCount();
      expect((await send(`${demo.url}/me`, { headers: bearer(bystander) })).status).toBe(200);
      expect(await as.introspectionCount()).toBe(before);
    },
  );
});
