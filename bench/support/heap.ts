import { NestFactory } from '@nestjs/core';
import {
  INTROSPECTION_RESOLVED_OPTIONS,
  IntrospectionEvents,
  IntrospectionModule,
  parseIntrospectionClaims,
  ResolvedIntrospectionOptions,
  systemClock,
} from '@app/introspection';
import { demoClients } from '../../apps/demo/src/embedded-authorization-server';
import { createIntrospectionCache } from '../../libs/introspection/src/cache/create-introspection-cache';
import { IntrospectionResultCache } from '../../libs/introspection/src/cache/introspection-result.cache';

/**
 * Writes one answer for each of `total` distinct tokens through the cache of
 * a module configured with `cacheOptions` (its store and its in-process
 * tier), in batches of `batch`, and returns the heap in MiB after a GC at
 * each of `marks` (token counts, ascending), plus the bound in force.
 * Needs `node --expose-gc`.
 */
export async function heapUnderDistinctTokens(
  cacheOptions: Record<string, unknown>,
  { total, marks, batch = 500 }: { total: number; marks: readonly number[]; batch?: number },
): Promise<{ heapMiB: number[]; maxEntries: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench does)');
  const { clientId, clientSecret } = demoClients().introspectionClients.client_secret_basic;
  const context = await NestFactory.createApplicationContext(
    IntrospectionModule.forRoot({
      endpoint: 'http://127.0.0.1:1/introspect',
      clientId,
      clientSecret,
      cache: cacheOptions,
    }),
    { logger: ['error'] },
  );
  const options = context.get<ResolvedIntrospectionOptions>(INTROSPECTION_RESOLVED_OPTIONS);
  const cache = new IntrospectionResultCache(
    createIntrospectionCache(options),
    options,
    systemClock,
    new IntrospectionEvents(),
  );
  const result = parseIntrospectionClaims({
    active: true,
    token_type: 'Bearer',
    scope: 'read:payments write:payments',
    client_id: 'demo-client',
    exp: Math.floor(Date.now() / 1000) + 600,
    aud: demoClients().audience,
  });
  const heapMiB: number[] = [];
  try {
    for (let written = 0; written < total; written += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, total - written) }, (_, index) => {
          const token = `token-${written + index}`;
          return cache.write(cache.key(token, 'access_token'), result, cache.localKey(token, 'access_token'));
        }),
      );
      if (marks.includes(Math.min(written + batch, total))) {
        gc();
        heapMiB.push(process.memoryUsage().heapUsed / 1024 / 1024);
      }
    }
  } finally {
    await cache.onModuleDestroy();
    await context.close();
  }
  return { heapMiB, maxEntries: options.cacheMaxEntries };
}
