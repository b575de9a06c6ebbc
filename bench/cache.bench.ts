// `npm run bench`: the cost of the guard and what the cache buys, as ratios
// measured in one run against baselines measured in the same run. Never part
// of `npm test`. Needs nothing running: starts oidc-provider itself.
import { Controller, Get, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IntrospectionModule, IntrospectionModuleOptions, RequireActiveToken } from '@app/introspection';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';
import { TestAuthorizationServer } from '../test/support/authorization-server';
import { bearer, send } from '../test/support/http';
import { heapUnderDistinctTokens } from './support/heap';
import { medianLatencyUs } from './support/latency';

const run = promisify(execFile);
const clients = demoClients();
const { clientId, clientSecret } = clients.introspectionClients.client_secret_basic;

@Controller()
class BenchController {
  @Get('open')
  open(): { ok: boolean } {
    return { ok: true };
  }

  @Get('guarded')
  @RequireActiveToken()
  guarded(): { ok: boolean } {
    return { ok: true };
  }
}

async function startApp(endpoint: string, options: Partial<IntrospectionModuleOptions>) {
  @Module({
    imports: [IntrospectionModule.forRoot({ endpoint, clientId, clientSecret, ...options })],
    controllers: [BenchController],
  })
  class BenchModule {}
  const app: INestApplication = await NestFactory.create(BenchModule, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

/** Requests per second from autocannon, run as its own process. */
async function throughput(url: string, headers: Record<string, string>): Promise<number> {
  const args = [
    '-c',
    '20',
    '-d',
    '5',
    '-j',
    ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]),
    url,
  ];
  const { stdout } = await run(join(__dirname, '..', 'node_modules', '.bin', 'autocannon'), args, {
    maxBuffer: 16 * 1024 * 1024,
  });
  const result = JSON.parse(stdout) as { requests: { average: number }; non2xx: number; errors: number };
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  return result.requests.average;
}

const ratio = (value: number) => value.toFixed(3);
const line = (label: string, value: string, target: string) =>
  console.log(`${label.padEnd(58)} ${value.padStart(12)}   target ${target}`);

async function main(): Promise<void> {
  const as = await TestAuthorizationServer.start();
  try {
    console.log(`Node ${process.version}, ${cpus().length} cores; oidc-provider at ${as.issuer}\n`);

    // 1. Cache-hit throughput, guarded ÷ unguarded, same app and process.
    {
      const { app, url } = await startApp(as.introspectionEndpoint, { cache: { ttl: '10m' } });
      const token = await as.mintToken('read:payments');
      if ((await send(`${url}/guarded`, { headers: bearer(token) })).status !== 200)
        throw new Error('warm-up failed');
      const open: number[] = [];
      const guarded: number[] = [];
      for (let round = 0; round < 2; round++) {
        open.push(await throughput(`${url}/open`, {}));
        guarded.push(await throughput(`${url}/guarded`, bearer(token)));
      }
      const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
      line('1. unguarded route, requests/s', mean(open).toFixed(0), '');
      line('   guarded route, cache hits, requests/s', mean(guarded).toFixed(0), '');
      line('   ratio guarded ÷ unguarded', ratio(mean(guarded) / mean(open)), '>= 0.95');
      await app.close();
    }

    // 2. Cache-miss latency: guarded (ttl 0) ÷ (unguarded + one bare keep-alive POST to the endpoint).
    {
      const { app, url } = await startApp(as.introspectionEndpoint, { cache: { ttl: 0 } });
      const token = await as.mintToken('read:payments');
      const count = 2000;
      const guarded = await medianLatencyUs({ url: `${url}/guarded`, count, headers: bearer(token) });
      const open = await medianLatencyUs({ url: `${url}/open`, count });
      const post = await medianLatencyUs({
        url: as.introspectionEndpoint,
        count,
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      });
      line('2. guarded route, cache miss (ttl 0), median µs', guarded.toFixed(0), '');
      line(
        '   unguarded route median µs + bare introspection POST median µs',
        `${open.toFixed(0)} + ${post.toFixed(0)}`,
        '',
      );
      line('   ratio guarded ÷ (unguarded + POST)', ratio(guarded / (open + post)), '<= 1.10');
      await app.close();
    }

    // 3. 1,000 concurrent requests with one fresh token: introspection requests made.
    {
      const { app, url } = await startApp(as.introspectionEndpoint, { cache: { ttl: '10m' } });
      const token = await as.mintToken('read:payments');
      const before = await as.introspectionCount();
      const answers = await Promise.all(
        Array.from({ length: 1000 }, () => send(`${url}/guarded`, { headers: bearer(token) })),
      );
      const made = (await as.introspectionCount()) - before;
      const ok = answers.filter((a) => a.status === 200).length;
      line('3. 1,000 concurrent requests, one fresh token: introspections', String(made), 'exactly 1');
      line('   of which answered 200', String(ok), '1000');
      await app.close();
    }
  } finally {
    await as.stop();
  }

  // 4. Heap with the default bound under 200,000 distinct tokens.
  {
    const { heapMiB, maxEntries } = await heapUnderDistinctTokens(
      { ttl: '10m' },
      { total: 200_000, marks: [10_000, 100_000, 200_000] },
    );
    line(
      `4. heap MiB after 10k / 100k / 200k distinct tokens (bound ${maxEntries})`,
      heapMiB.map((mib) => mib.toFixed(1)).join(' / '),
      'flat after 10k',
    );
    line('   ratio heap 200k ÷ heap 10k', ratio(heapMiB[2] / heapMiB[0]), '~1.0');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
