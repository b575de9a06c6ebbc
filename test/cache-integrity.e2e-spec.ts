import { createClient } from '@keyv/redis';
import { IntrospectionCacheError, IntrospectionEvents, IntrospectionService } from '@app/introspection';
import { createHash, createHmac } from 'node:crypto';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';
import { TestAuthorizationServer } from './support/authorization-server';
import { ADAPTERS, authorizationServerEnv, ManualClock, RunningDemo, startDemo } from './support/demo-app';
import { bearer, send } from './support/http';
import { RedisProcess } from './support/redis';

// A shared Redis is written to by more than the module: what anyone with
// write access there can (no longer) do. Each suite has a redis-server of its
// own, so that listing its keys and pausing it disturbs nobody else.

const clients = demoClients();
const SECRET = 'e2e-cache-secret-of-the-current-fleet';
const OLD_SECRET = 'e2e-cache-secret-of-the-former-fleet';
/** How @keyv/redis prefixes the module's keys (namespace "introspection"). */
const STORE_PREFIX = 'introspection::';

let as: TestAuthorizationServer;
let redis: RedisProcess;
let admin: ReturnType<typeof createClient>;

beforeAll(async () => {
  as = await TestAuthorizationServer.start();
  redis = await RedisProcess.start();
  admin = createClient({ url: redis.url });
  await admin.connect();
});

afterAll(async () => {
  await admin?.quit();
  await redis?.stop();
  await as?.stop();
});

beforeEach(async () => {
  await admin.flushAll();
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return authorizationServerEnv(as, {
    INTROSPECTION_TTL: '60s',
    INTROSPECTION_CACHE_URL: redis.url,
    INTROSPECTION_CACHE_SECRET: SECRET,
    // A loaded CI machine must not turn a slow read into a miss.
    INTROSPECTION_CACHE_TIMEOUT: '2s',
    ...extra,
  });
}

/** Calls `path` of `demo` with `token`: the answer, and how many introspection requests it cost. */
async function call(demo: RunningDemo, path: string, token: string, method = 'GET') {
  const before = await as.introspectionCount();
  const answer = await send(`${demo.url}${path}`, { method, headers: bearer(token) });
  return {
    status: answer.status,
    headers: answer.headers,
    introspections: (await as.introspectionCount()) - before,
  };
}

/** The one entry the store holds (each test starts with an empty store). */
async function onlyEntry(): Promise<{ key: string; raw: string }> {
  const keys = await admin.keys(`${STORE_PREFIX}*`);
  expect(keys).toHaveLength(1);
  return { key: keys[0], raw: (await admin.get(keys[0]))! };
}

/** What an attacker would write: an active answer with every scope, in the module's entry shape. */
function forgedEntry(extra: Record<string, unknown> = {}): string {
  const now = Date.now();
  const claims = {
    active: true,
    scope: 'admin read:payments write:payments',
    token_type: 'Bearer',
    aud: clients.audience,
    exp: Math.floor(now / 1000) + 3600,
  };
  const value = { claims: JSON.stringify(claims), storedAt: now, expiresAt: now + 60_000, ...extra };
  return JSON.stringify({ value, expires: now + 60_000 });
}

describe.each(ADAPTERS)('cache entries in a shared Redis on %s', (adapter) => {
  let demo: RunningDemo;
  let rejected: string[];

  beforeAll(async () => {
    // No in-process tier: every request reads Redis, so each read shows what is believed from it.
    demo = await startDemo(adapter, env({ INTROSPECTION_CACHE_LOCAL_TTL: '0' }));
    demo.app.get(IntrospectionEvents).on('cache.rejected', ({ reason }) => rejected.push(reason));
  });

  beforeEach(() => {
    rejected = [];
  });

  afterAll(async () => {
    await demo?.close();
  });

  it('never believes an entry made up for a token of the attacker’s choosing, in the old or a guessed new key format', async () => {
    const token = `attacker-made-this-up-${Math.random().toString(36).slice(2)}`;
    const plainDigest = (prefix: string) =>
      prefix +
      createHash('sha256')
        .update(
          JSON.stringify([
            as.introspectionEndpoint,
            clients.introspectionClients.client_secret_basic.clientId,
            'access_token',
            token,
          ]),
        )
        .digest('base64url');
    const guessedHmac = (guess: string) =>
      'introspection:v2:' + createHmac('sha256', guess).update(`key${token}`).digest('base64url');
    for (const key of [
      plainDigest('introspection:v1:'),
      plainDigest('introspection:v2:'),
      guessedHmac(''),
      guessedHmac('changeme'),
    ]) {
      await admin.set(`${STORE_PREFIX}${key}`, forgedEntry({ mac: 'A'.repeat(43) }), { PX: 60_000 });
    }

    const answer = await call(demo, '/me', token);
    expect(answer).toMatchObject({ introspections: 1, status: 401 });
    expect(answer.headers['www-authenticate']).toBe(
      'Bearer realm="demo", error="invalid_token", error_description="The access token is not active."',
    );
  });

  it.each<[string, (value: Record<string, unknown>) => Record<string, unknown>]>([
    [
      'scopes it was never granted',
      (value) => ({
        ...value,
        claims: JSON.stringify({
          ...JSON.parse(value.claims as string),
          scope: 'read:payments write:payments',
        }),
      }),
    ],
    [
      'a longer life, with a made-up MAC',
      (value) => ({ ...value, expiresAt: (value.expiresAt as number) + 3_600_000, mac: 'A'.repeat(43) }),
    ],
    ['no MAC at all', ({ mac: _mac, ...value }) => value],
  ])(
    'treats a genuine entry altered to give %s as a miss: introspected again, refused, reported',
    async (_case, alter) => {
      const token = await as.mintToken('read:payments');
      expect((await send(`${demo.url}/payments`, { headers: bearer(token) })).status).toBe(200);
      const { key, raw } = await onlyEntry();
      const stored = JSON.parse(raw) as { value: Record<string, unknown>; expires: number };
      await admin.set(key, JSON.stringify({ ...stored, value: alter(stored.value) }), { PX: 60_000 });

      expect(await call(demo, '/payments', token, 'POST')).toMatchObject({ introspections: 1, status: 403 });
      expect(rejected).toEqual(['unauthenticated']);
      expect((await send(`${demo.url}/metrics`)).body).toMatch(
        /^introspection_cache_rejected_entries_total\{reason="unauthenticated"\} [1-9]/m,
      );
    },
  );

  it("refuses a genuine entry of another token copied to this token's key", async () => {
    const writer = await as.mintToken('read:payments write:payments');
    const reader = await as.mintToken('read:payments');
    expect((await send(`${demo.url}/me`, { headers: bearer(reader) })).status).toBe(200);
    const { key: readerKey } = await onlyEntry();
    expect((await send(`${demo.url}/me`, { headers: bearer(writer) })).status).toBe(200);
    const writerKey = (await admin.keys(`${STORE_PREFIX}*`)).find((key) => key !== readerKey)!;
    await admin.set(readerKey, (await admin.get(writerKey))!, { PX: 60_000 });

    expect(await call(demo, '/payments', reader, 'POST')).toMatchObject({ introspections: 1, status: 403 });
    expect(rejected).toEqual(['unauthenticated']);
  });
});

describe.each(ADAPTERS)('rotating the cache secret on %s', (adapter) => {
  it('keeps the entries of the old secret while it is listed as previous, and misses them once it is not', async () => {
    const token = await as.mintToken('read:payments');
    const before = await startDemo(adapter, env({ INTROSPECTION_CACHE_SECRET: OLD_SECRET }));
    const during = await startDemo(
      adapter,
      env({ INTROSPECTION_CACHE_SECRET: SECRET, INTROSPECTION_CACHE_PREVIOUS_SECRET: OLD_SECRET }),
    );
    const after = await startDemo(adapter, env({ INTROSPECTION_CACHE_SECRET: SECRET }));
    try {
      expect(await call(before, '/me', token)).toMatchObject({ introspections: 1, status: 200 });
      expect(await call(during, '/me', token)).toMatchObject({ introspections: 0, status: 200 });
      // Without the old secret, its entry is a miss; the new entry is written with the current secret.
      expect(await call(after, '/me', token)).toMatchObject({ introspections: 1, status: 200 });
      expect(await call(during, '/me', token)).toMatchObject({ introspections: 0, status: 200 });
      expect(await admin.keys(`${STORE_PREFIX}*`)).toHaveLength(2);
    } finally {
      await before.close();
      await during.close();
      await after.close();
    }
  });
});

describe.each(ADAPTERS)('invalidate() when Redis does not answer on %s', (adapter) => {
  it('rejects, and this instance never serves the entry again while another still may', async () => {
    const clock = new ManualClock();
    const local = await startDemo(adapter, env({ INTROSPECTION_CACHE_TIMEOUT: '200ms' }), { clock });
    const peer = await startDemo(adapter, env());
    try {
      const token = await as.mintToken('read:payments');
      expect((await send(`${local.url}/me`, { headers: bearer(token) })).status).toBe(200);
      const { key, raw } = await onlyEntry();

      await admin.sendCommand(['CLIENT', 'PAUSE', '600', 'ALL']);
      const error = await local.app
        .get(IntrospectionService)
        .invalidate(token)
        .catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(IntrospectionCacheError);
      expect((error as Error).message).not.toContain(token);

      // The DEL sent during the pause runs once it ends; put the entry back,
      // as if it had never landed (a failover, a lost connection).
      for (let waited = 0; waited < 2_000 && (await admin.exists(key)); waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await admin.set(key, raw, { PX: 60_000 });
      await as.revoke(token);

      // What the rejection warned about: another instance still serves the entry until it expires.
      expect(await call(peer, '/me', token)).toMatchObject({ introspections: 0, status: 200 });

      // Past the store's bypass window after the failure, so this instance reads Redis again.
      clock.advance(5_000);
      expect(await call(local, '/me', token)).toMatchObject({ introspections: 1, status: 401 });
    } finally {
      await local.close();
      await peer.close();
    }
  });
});
