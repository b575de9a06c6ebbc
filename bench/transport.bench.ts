// `npm run bench:transport`: what an introspection costs over each HTTP
// client of transport.client, against a raw undici POST to the same endpoint,
// in one process and one run, rounds interleaved so that drift hits all
// alike. Never part of `npm test`. Starts oidc-provider itself.
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { cpus } from 'node:os';
import { Agent } from 'undici';
import {
  IntrospectionModule,
  IntrospectionService,
  type IntrospectionTransportClient,
} from '@app/introspection';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';
import { TestAuthorizationServer } from '../test/support/authorization-server';
import { median } from './support/autocannon';

const { clientId, clientSecret } = demoClients().introspectionClients.client_secret_basic;
const ROUNDS = 8;
const CALLS_PER_ROUND = 300;
const IN_FLIGHT = 10;
const LOAD_CALLS_PER_ROUND = 1500;

/** One way of asking the endpoint about `token`. */
type Introspect = (token: string) => Promise<unknown>;

async function moduleIntrospection(
  endpoint: string,
  client: IntrospectionTransportClient,
): Promise<{ introspect: Introspect; context: INestApplicationContext }> {
  const context = await NestFactory.createApplicationContext(
    IntrospectionModule.forRoot({
      endpoint,
      clientId,
      clientSecret,
      cache: { ttl: 0 },
      transport: { client },
    }),
    { logger: ['error'] },
  );
  const service = context.get(IntrospectionService);
  return {
    context,
    introspect: async (token) => {
      if (!(await service.introspect(token)).active) throw new Error(`${client}: token not active`);
    },
  };
}

/** The same POST the module sends (client_secret_basic), with undici and nothing around it. */
function rawUndici(endpoint: string): { introspect: Introspect; agent: Agent } {
  const agent = new Agent();
  const { origin, pathname } = new URL(endpoint);
  const headers = {
    authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  return {
    agent,
    introspect: async (token) => {
      const body = new URLSearchParams({ token, token_type_hint: 'access_token' }).toString();
      const answer = await agent.request({ origin, path: pathname, method: 'POST', headers, body });
      const text = await answer.body.text();
      if (answer.statusCode !== 200 || !(JSON.parse(text) as { active: boolean }).active) {
        throw new Error(`raw undici: HTTP ${answer.statusCode}`);
      }
    },
  };
}

/** Latencies in µs of `count` calls one after the other. */
async function sequential(introspect: Introspect, token: string, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const startedAt = performance.now();
    await introspect(token);
    latencies.push((performance.now() - startedAt) * 1000);
  }
  return latencies;
}

/**
 * Calls per second with one call per token always under way, `count` in all.
 * One token per caller: the module merges concurrent introspections of one token.
 */
async function underLoad(introspect: Introspect, tokens: string[], count: number): Promise<number> {
  let left = count;
  const startedAt = performance.now();
  await Promise.all(
    tokens.map(async (token) => {
      while (left-- > 0) await introspect(token);
    }),
  );
  return count / ((performance.now() - startedAt) / 1000);
}

const line = (label: string, value: string, target = '') =>
  console.log(`${label.padEnd(52)} ${value.padStart(12)}${target ? `   target ${target}` : ''}`);

async function main(): Promise<void> {
  const as = await TestAuthorizationServer.start();
  const contexts: INestApplicationContext[] = [];
  let agent: Agent | undefined;
  try {
    console.log(`Node ${process.version}, ${cpus().length} cores; oidc-provider at ${as.issuer}`);
    const tokens: string[] = [];
    for (let i = 0; i < IN_FLIGHT; i++) tokens.push(await as.mintToken('read:payments'));
    const raw = rawUndici(as.introspectionEndpoint);
    agent = raw.agent;
    const variants: Record<string, Introspect> = { raw: raw.introspect };
    for (const client of ['undici', 'axios'] as const) {
      const { introspect, context } = await moduleIntrospection(as.introspectionEndpoint, client);
      contexts.push(context);
      variants[client] = introspect;
    }
    const names = Object.keys(variants);
    const latencies: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
    const rates: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
    // Warm-up: JIT, connections, oidc-provider's own caches.
    for (const name of names) await sequential(variants[name], tokens[0], 200);
    for (let round = 0; round < ROUNDS; round++) {
      // A different order each round: none always runs first or last.
      const order = names.map((_, i) => names[(i + round) % names.length]);
      for (const name of order)
        latencies[name].push(...(await sequential(variants[name], tokens[0], CALLS_PER_ROUND)));
      for (const name of order)
        rates[name].push(await underLoad(variants[name], tokens, LOAD_CALLS_PER_ROUND));
    }
    const p50 = (name: string) => median(latencies[name]);
    const rate = (name: string) => median(rates[name]);
    console.log(
      `\n${ROUNDS} interleaved rounds of ${CALLS_PER_ROUND} sequential calls (ttl 0: every call asks)`,
    );
    line('raw undici POST, p50 µs', p50('raw').toFixed(0));
    line('introspect() over undici (default), p50 µs', p50('undici').toFixed(0));
    line('introspect() over axios, p50 µs', p50('axios').toFixed(0));
    line('ratio undici ÷ raw', (p50('undici') / p50('raw')).toFixed(3));
    line('ratio axios ÷ raw', (p50('axios') / p50('raw')).toFixed(3));
    line('ratio axios ÷ undici', (p50('axios') / p50('undici')).toFixed(3));
    console.log(
      `\n${IN_FLIGHT} calls in flight, ${LOAD_CALLS_PER_ROUND} per round, median of ${ROUNDS} rounds`,
    );
    line('raw undici POST, calls/s', rate('raw').toFixed(0));
    line('introspect() over undici, calls/s', rate('undici').toFixed(0));
    line('introspect() over axios, calls/s', rate('axios').toFixed(0));
    line('ratio undici ÷ raw', (rate('undici') / rate('raw')).toFixed(3), '>= 0.85');
    line('ratio axios ÷ raw', (rate('axios') / rate('raw')).toFixed(3));
  } finally {
    await Promise.all(contexts.map((context) => context.close()));
    await agent?.destroy();
    await as.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
