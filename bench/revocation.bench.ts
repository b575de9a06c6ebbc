// `npm run bench:revocation`: how long a revocation takes to reach every
// instance. Three demo instances (Express, Fastify, Express) share a real
// Redis and cache answers for 300 s; for each mechanism, a token cached by all
// three (and revoked at the authorization server) is revoked on one instance,
// and each instance is polled until it answers 401. Printed: the time from
// the revocation's acceptance (invalidate() resolving, or the receiver's 202)
// to each instance's first 401, median and maximum over all trials and
// instances. Never part of `npm test`.
import { IntrospectionService } from '@app/introspection';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { Revocations } from '../libs/introspection/src/revocation/revocations';
import { TestAuthorizationServer } from '../test/support/authorization-server';
import { authorizationServerEnv, RunningDemo, startDemo } from '../test/support/demo-app';
import { bearer, send } from '../test/support/http';
import { REDIS_URL } from '../test/support/redis';
import { DEMO_TRANSMITTER, demoSecurityEvent, pushSecurityEvent } from '../test/support/security-events';
import { median } from './support/autocannon';

const TRIALS = Number(process.env.BENCH_TRIALS ?? 20);
const TARGET_MS = 100;

type Mechanism = 'invalidate(token)' | 'SET session-revoked, sub' | 'SET session-revoked, sid';

/** Polls `demo` with `token` until it answers 401; when that answer arrived (performance.now()). */
async function firstRefusal(demo: RunningDemo, token: string): Promise<number> {
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const answer = await send(`${demo.url}/me`, { headers: bearer(token) });
    if (answer.status === 401) return performance.now();
    if (answer.status !== 200) throw new Error(`unexpected ${answer.status}`);
  }
  throw new Error('never refused');
}

async function main(): Promise<void> {
  const as = await TestAuthorizationServer.start();
  const env = authorizationServerEnv(as, {
    INTROSPECTION_TTL: '300s',
    INTROSPECTION_CACHE_URL: REDIS_URL,
    INTROSPECTION_CACHE_SECRET: 'bench-cache-secret-of-the-revocation-fleet',
    INTROSPECTION_SET_ISSUER: as.issuer,
    INTROSPECTION_SET_JWKS_URI: `${as.issuer}${DEMO_TRANSMITTER.jwksPath}`,
  });
  const fleet: RunningDemo[] = [];
  for (const adapter of ['express', 'fastify', 'express'] as const) {
    fleet.push(await startDemo(adapter, env));
  }
  const push = async (demo: RunningDemo, subId: Record<string, unknown>) => {
    const answer = await pushSecurityEvent(demo.url, await demoSecurityEvent(as.issuer, { sub_id: subId }));
    if (answer.status !== 202) throw new Error(`the receiver answered ${answer.status}`);
  };
  try {
    for (
      let attempt = 0;
      attempt < 400 && fleet.some((demo) => !demo.app.get(Revocations).hearing);
      attempt++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    console.log(
      `Node ${process.version}, ${cpus().length} cores; 3 demo instances sharing Redis (ttl 300 s), ${TRIALS} trials per mechanism, the revocation made on each instance in turn\n`,
    );
    const mechanisms: Record<
      Mechanism,
      (origin: RunningDemo, token: string, user: { sub: string; sid: string }) => Promise<void>
    > = {
      'invalidate(token)': (origin, token) => origin.app.get(IntrospectionService).invalidate(token),
      'SET session-revoked, sub': (origin, _token, user) =>
        push(origin, { format: 'iss_sub', iss: as.issuer, sub: user.sub }),
      'SET session-revoked, sid': (origin, _token, user) =>
        push(origin, { session: { format: 'opaque', id: user.sid } }),
    };
    for (const [mechanism, revoke] of Object.entries(mechanisms)) {
      const delays: number[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const user = { sub: `user-${randomUUID()}`, sid: randomUUID() };
        const token = await as.mintUserToken(user);
        for (const demo of fleet) {
          for (let warm = 0; warm < 2; warm++) {
            if ((await send(`${demo.url}/me`, { headers: bearer(token) })).status !== 200)
              throw new Error('warm-up');
          }
        }
        await as.revoke(token);
        const origin = fleet[trial % fleet.length];
        await revoke(origin, token, user);
        const acceptedAt = performance.now();
        const refusedAt = await Promise.all(fleet.map((demo) => firstRefusal(demo, token)));
        delays.push(...refusedAt.map((at) => at - acceptedAt));
      }
      const worst = Math.max(...delays);
      console.log(
        `${mechanism.padEnd(28)} to the first 401 on each instance: median ${median(delays).toFixed(1)} ms, max ${worst.toFixed(1)} ms   target ≤ ${TARGET_MS} ms ${worst <= TARGET_MS ? 'met' : 'NOT MET'}`,
      );
    }
  } finally {
    await Promise.all(fleet.map((demo) => demo.close()));
    await as.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
