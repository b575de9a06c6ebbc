// `npm run bench`, part 2: sustained load on the demo (autocannon) with a mix
// of valid, revoked and garbage tokens while the authorization server is
// killed and restarted mid-run. Never part of `npm test`. Reports requests
// served, status counts per phase, 200s for revoked or garbage tokens (must
// be 0 in every phase), time to recover once the server is back (target:
// within the breaker cool-down plus one request), and the p99 latency of
// GET /public per phase (the event loop stays responsive).
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';
import { TestAuthorizationServer } from '../test/support/authorization-server';

type Phase = 'before' | 'outage' | 'after';
type Kind = 'valid' | 'revoked' | 'garbage';

const PHASE_SECONDS = { before: 4, outage: 4, after: 6 };
const COOLDOWN_MS = 2_000;
const CONNECTIONS = 20;
const clients = demoClients();
const { clientId, clientSecret } = clients.introspectionClients.client_secret_basic;

/** Starts the demo in its own process, so that the load generator does not share its event loop. */
function startDemo(endpoint: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      join(__dirname, 'support/outage-demo.ts'),
    ],
    {
      env: {
        ...process.env,
        INTROSPECTION_ENDPOINT: endpoint,
        INTROSPECTION_CLIENT_ID: clientId,
        INTROSPECTION_CLIENT_SECRET: clientSecret,
        INTROSPECTION_AUDIENCE: clients.audience,
        INTROSPECTION_TTL: '2s',
        INTROSPECTION_TIMEOUT: '1s',
        INTROSPECTION_CIRCUIT_BREAKER_COOLDOWN: `${COOLDOWN_MS}ms`,
      },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    },
  );
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`The demo exited with code ${code}.`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const message = JSON.parse(line) as { event?: string; url?: string };
        if (message.event === 'ready' && message.url) {
          resolve({ url: message.url, stop: () => child.kill() });
        }
      } catch {
        // Not our line.
      }
    });
  });
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
};

async function main(): Promise<void> {
  let as = await TestAuthorizationServer.start();
  const port = Number(new URL(as.issuer).port);
  const demo = await startDemo(as.introspectionEndpoint);
  const mint = () => as.mintToken('read:payments', clients.audience);
  let valid = await Promise.all(Array.from({ length: 20 }, mint));
  const revoked = await Promise.all(Array.from({ length: 20 }, mint));
  await Promise.all(revoked.map((token) => as.revoke(token)));

  let phase: Phase = 'before';
  const counts: Record<Phase, Record<Kind, Record<number, number>>> = {
    before: { valid: {}, revoked: {}, garbage: {} },
    outage: { valid: {}, revoked: {}, garbage: {} },
    after: { valid: {}, revoked: {}, garbage: {} },
  };
  const publicLatencies: Record<Phase, number[]> = { before: [], outage: [], after: [] };
  /** When the server was back, and when a valid token was first granted after that. */
  const marks: { backAt?: number; recoveredAt?: number } = {};
  let sent = 0;

  const kinds: Kind[] = ['valid', 'revoked', 'garbage'];
  const tokenFor = (kind: Kind) =>
    kind === 'valid'
      ? valid[sent % valid.length]
      : kind === 'revoked'
        ? revoked[sent % revoked.length]
        : randomBytes(24).toString('base64url');

  // GET /public every 20 ms on its own connection: the event loop's responsiveness as a client sees it.
  let probing = true;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const prober = (async () => {
    while (probing) {
      const current = phase;
      const started = performance.now();
      await new Promise<void>((resolve) => {
        request(`${demo.url}/public`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve());
        })
          .on('error', () => resolve())
          .end();
      });
      publicLatencies[current].push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();

  const load = autocannon({
    url: demo.url,
    connections: CONNECTIONS,
    duration: PHASE_SECONDS.before + PHASE_SECONDS.outage + PHASE_SECONDS.after,
    requests: [
      {
        method: 'GET',
        path: '/payments',
        setupRequest: (req, context: { kind?: Kind; phase?: Phase }) => {
          const kind = kinds[sent++ % kinds.length];
          context.kind = kind;
          context.phase = phase;
          return { ...req, headers: { ...req.headers, authorization: `Bearer ${tokenFor(kind)}` } };
        },
        onResponse: (status, _body, context: { kind?: Kind; phase?: Phase }) => {
          const bucket = counts[context.phase!][context.kind!];
          bucket[status] = (bucket[status] ?? 0) + 1;
          if (
            context.kind === 'valid' &&
            status === 200 &&
            marks.backAt !== undefined &&
            marks.recoveredAt === undefined
          ) {
            marks.recoveredAt = performance.now();
          }
        },
      },
    ],
  });

  await new Promise((resolve) => setTimeout(resolve, PHASE_SECONDS.before * 1000));
  phase = 'outage';
  await as.stop();
  await new Promise((resolve) => setTimeout(resolve, PHASE_SECONDS.outage * 1000));
  as = await TestAuthorizationServer.start({ port });
  phase = 'after';
  marks.backAt = performance.now();
  // oidc-provider keeps tokens in memory: the restarted server knows only new
  // ones (minting them counts in the recovery time).
  valid = await Promise.all(Array.from({ length: 20 }, mint));
  const result = await load;
  probing = false;
  await prober;
  agent.destroy();
  demo.stop();
  await as.stop();

  console.log(
    `Outage load test: ${CONNECTIONS} connections, phases ${JSON.stringify(PHASE_SECONDS)} s, breaker cool-down ${COOLDOWN_MS} ms`,
  );
  console.log(
    `requests served: ${result.requests.total} (${result.requests.average.toFixed(0)}/s), errors ${result.errors}, timeouts ${result.timeouts}\n`,
  );
  let leaked = 0;
  for (const p of ['before', 'outage', 'after'] as Phase[]) {
    const line = kinds.map((kind) => `${kind} ${JSON.stringify(counts[p][kind])}`).join('   ');
    const bad = (counts[p].revoked[200] ?? 0) + (counts[p].garbage[200] ?? 0);
    leaked += bad;
    console.log(`${p.padEnd(7)} ${line}`);
    console.log(
      `        200s for revoked or garbage tokens: ${bad} (target 0);  GET /public p99 ${percentile(publicLatencies[p], 99).toFixed(1)} ms, p50 ${percentile(publicLatencies[p], 50).toFixed(1)} ms (${publicLatencies[p].length} probes)`,
    );
  }
  const recovery =
    marks.recoveredAt === undefined || marks.backAt === undefined
      ? undefined
      : marks.recoveredAt - marks.backAt;
  console.log(
    `\ntime to recover after the server is back: ${recovery === undefined ? 'never' : `${recovery.toFixed(0)} ms`} (target <= cool-down ${COOLDOWN_MS} ms + one request)`,
  );
  const outageP99 = percentile(publicLatencies.outage, 99);
  const beforeP99 = percentile(publicLatencies.before, 99);
  console.log(`GET /public p99 during the outage ÷ before: ${(outageP99 / beforeP99).toFixed(2)}`);
  if (leaked > 0 || recovery === undefined) {
    console.error('FAILED: a revoked or garbage token was granted, or the API never recovered.');
    process.exitCode = 1;
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
