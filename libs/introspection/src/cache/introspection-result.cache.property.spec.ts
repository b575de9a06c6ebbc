import fc from 'fast-check';
import { resolveIntrospectionOptions } from '../config/resolve-options';
import { parseIntrospectionClaims } from '../result/introspection-response.parser';
import { createIntrospectionCache } from './create-introspection-cache';
import { IntrospectionEvents } from '../events/introspection-events';
import { IntrospectionResultCache } from './introspection-result.cache';

// For random sequences of introspection answers, clock steps and reads, the
// cache never yields an active answer after exp or after ttl, and never an
// inactive one after negativeTtl or past an nbf that was in the future.
// An answer is written the way the service writes one: after a miss.

type Op =
  | { kind: 'answer'; token: number; active: boolean; expIn?: number; nbfIn?: number }
  | { kind: 'step'; ms: number }
  | { kind: 'read'; token: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('answer' as const),
    token: fc.integer({ min: 0, max: 3 }),
    active: fc.boolean(),
    expIn: fc.option(fc.integer({ min: -120, max: 600 }), { nil: undefined }),
    nbfIn: fc.option(fc.integer({ min: -120, max: 600 }), { nil: undefined }),
  }),
  fc.record({ kind: fc.constant('step' as const), ms: fc.integer({ min: 0, max: 90_000 }) }),
  fc.record({ kind: fc.constant('read' as const), token: fc.integer({ min: 0, max: 3 }) }),
);

describe('IntrospectionResultCache (property)', () => {
  it('never serves an answer beyond its bounds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 120_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.array(op, { maxLength: 60 }),
        async (ttlMs, negativeTtlMs, ops) => {
          let now = 1_800_000_000_000;
          const options = resolveIntrospectionOptions({
            endpoint: 'https://as.example/introspect',
            clientId: 'api',
            clientSecret: 'secret',
            cache: { ttl: `${ttlMs}ms`, negativeTtl: `${negativeTtlMs}ms` },
          });
          const cache = new IntrospectionResultCache(
            createIntrospectionCache(options),
            options,
            { now: () => now },
            new IntrospectionEvents(),
          );
          // What was last written per token, and when.
          const written = new Map<number, { at: number; claims: Record<string, unknown> }>();

          for (const step of ops) {
            if (step.kind === 'step') {
              now += step.ms;
            } else if (step.kind === 'answer') {
              if (await cache.read(String(step.token))) continue;
              const claims: Record<string, unknown> = { active: step.active };
              if (step.expIn !== undefined) claims.exp = now / 1000 + step.expIn;
              if (step.nbfIn !== undefined) claims.nbf = now / 1000 + step.nbfIn;
              await cache.write(String(step.token), parseIntrospectionClaims(claims));
              written.set(step.token, { at: now, claims });
            } else {
              const result = await cache.read(String(step.token));
              if (!result) continue;
              const last = written.get(step.token);
              // Only what was written can come back, and only the latest answer.
              expect(last).toBeDefined();
              expect(result.claims).toEqual(last!.claims);
              const age = now - last!.at;
              if (result.active) {
                expect(age).toBeLessThan(ttlMs);
                if (result.exp !== undefined) expect(now).toBeLessThan(result.exp * 1000);
              } else {
                expect(age).toBeLessThan(Math.min(ttlMs, negativeTtlMs));
                const nbf = last!.claims.nbf as number | undefined;
                if (nbf !== undefined && nbf * 1000 > last!.at) expect(now).toBeLessThan(nbf * 1000);
              }
            }
          }
          await cache.onModuleDestroy();
        },
      ),
      { numRuns: 300 },
    );
  });
});
