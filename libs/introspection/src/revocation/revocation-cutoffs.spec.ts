import fc from 'fast-check';
import { IntrospectionError } from '../errors/introspection.errors';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import type { RevocationFilter } from '../interfaces/revocation.interface';
import { thrown } from '../../test-support/thrown';
import { RevocationCutoffs, type RevocationMarker } from './revocation-cutoffs';

const T0 = 1_700_000_000_000;

function answer(members: {
  sub?: string;
  sid?: unknown;
  clientId?: string;
  jti?: string;
}): IntrospectionResult {
  const claims: Record<string, unknown> = { active: true };
  if (members.sub !== undefined) claims.sub = members.sub;
  if (members.sid !== undefined) claims.sid = members.sid;
  if (members.clientId !== undefined) claims.client_id = members.clientId;
  if (members.jti !== undefined) claims.jti = members.jti;
  return {
    active: true,
    scopes: [],
    aud: [],
    sub: members.sub,
    clientId: members.clientId,
    jti: members.jti,
    claims,
  };
}

/**
 * The specification, by brute force: the latest `before` of every live marker
 * whose members all equal the answer's, markers for one filter being widened
 * into one (the latest of each instant).
 */
function referenceCutoff(
  added: readonly RevocationMarker[],
  result: IntrospectionResult,
  now: number,
): number {
  const widened = new Map<string, RevocationMarker>();
  for (const marker of added) {
    const filter = JSON.stringify(Object.entries(marker.filter).sort(([a], [b]) => a.localeCompare(b)));
    const held = widened.get(filter);
    widened.set(filter, {
      filter: marker.filter,
      before: Math.max(held?.before ?? 0, marker.before),
      keepUntil: Math.max(held?.keepUntil ?? 0, marker.keepUntil),
    });
  }
  const markers = [...widened.values()];
  const sid = typeof result.claims.sid === 'string' ? result.claims.sid : undefined;
  const values: Record<keyof RevocationFilter, string | undefined> = {
    sub: result.sub,
    sid,
    clientId: result.clientId,
    jti: result.jti,
  };
  let cutoff = 0;
  for (const { filter, before, keepUntil } of markers) {
    const matches = (Object.keys(filter) as (keyof RevocationFilter)[]).every(
      (member) => filter[member] === undefined || filter[member] === values[member],
    );
    if (matches && keepUntil > now) {
      cutoff = Math.max(cutoff, before);
    }
  }
  return cutoff;
}

describe('RevocationCutoffs', () => {
  let now: number;
  const clock = { now: () => now };
  beforeEach(() => {
    now = T0;
  });

  it('cuts off nothing without markers', () => {
    const cutoffs = new RevocationCutoffs(clock);
    expect(cutoffs.cutoffFor(answer({ sub: 'alice' }))).toBe(0);
    expect(cutoffs.revokes(answer({ sub: 'alice' }), 0)).toBe(false);
  });

  it('cuts off the answers with every member of the filter (AND), from introspections started before', () => {
    const cutoffs = new RevocationCutoffs(clock);
    cutoffs.add({ sub: 'alice', clientId: 'web' }, T0, T0 + 60_000);
    const both = answer({ sub: 'alice', clientId: 'web', jti: 'j1' });
    expect(cutoffs.cutoffFor(both)).toBe(T0);
    expect(cutoffs.revokes(both, T0 - 1)).toBe(true);
    // An introspection that started at or after the marker is a new answer (a new login, say).
    expect(cutoffs.revokes(both, T0)).toBe(false);
    expect(cutoffs.cutoffFor(answer({ sub: 'alice', clientId: 'mobile' }))).toBe(0);
    expect(cutoffs.cutoffFor(answer({ sub: 'alice' }))).toBe(0);
    expect(cutoffs.cutoffFor(answer({ clientId: 'web' }))).toBe(0);
  });

  it('matches sid in the claims only when it is a string', () => {
    const cutoffs = new RevocationCutoffs(clock);
    cutoffs.add({ sid: '42' }, T0, T0 + 60_000);
    expect(cutoffs.cutoffFor(answer({ sid: '42' }))).toBe(T0);
    expect(cutoffs.cutoffFor(answer({ sid: 42 }))).toBe(0);
  });

  it('keeps the latest before of every matching marker, and widens a repeated filter', () => {
    const cutoffs = new RevocationCutoffs(clock);
    cutoffs.add({ sub: 'alice' }, T0 - 10, T0 + 60_000);
    cutoffs.add({ jti: 'j1' }, T0 - 5, T0 + 60_000);
    cutoffs.add({ sub: 'alice' }, T0 - 20, T0 + 120_000);
    expect(cutoffs.size).toBe(2);
    expect(cutoffs.cutoffFor(answer({ sub: 'alice', jti: 'j1' }))).toBe(T0 - 5);
    expect(cutoffs.cutoffFor(answer({ sub: 'alice', jti: 'j2' }))).toBe(T0 - 10);
    now = T0 + 60_000;
    // The jti marker expired; the sub marker was kept longer by its repetition.
    expect(cutoffs.cutoffFor(answer({ sub: 'alice', jti: 'j1' }))).toBe(T0 - 10);
    expect(cutoffs.size).toBe(1);
  });

  it('forgets markers at keepUntil, on lookups and on sweeps', () => {
    const cutoffs = new RevocationCutoffs(clock, { sweepIntervalMs: 0 });
    cutoffs.add({ sub: 'alice' }, T0, T0 + 1_000);
    cutoffs.add({ sub: 'bob' }, T0, T0 + 2_000);
    expect(cutoffs.add({ sub: 'carol' }, T0, T0)).toBe(true);
    expect(cutoffs.markers().map((marker) => marker.filter.sub)).toEqual(['alice', 'bob']);
    now = T0 + 1_000;
    expect(cutoffs.cutoffFor(answer({ sub: 'alice' }))).toBe(0);
    expect(cutoffs.size).toBe(1);
    now = T0 + 2_000;
    expect(cutoffs.sweep()).toBe(1);
    expect(cutoffs.size).toBe(0);
  });

  it('folds the oldest marker into a catch-all cut-off when full, and says so', () => {
    const cutoffs = new RevocationCutoffs(clock, { maxMarkers: 2 });
    expect(cutoffs.add({ sub: 'alice' }, T0 - 30, T0 + 10_000)).toBe(true);
    expect(cutoffs.add({ sub: 'bob' }, T0 - 20, T0 + 20_000)).toBe(true);
    expect(cutoffs.add({ sub: 'carol' }, T0 - 10, T0 + 30_000)).toBe(false);
    expect(cutoffs.size).toBe(2);
    // alice is still cut off, and so is everyone else's answer from before alice's instant.
    expect(cutoffs.cutoffFor(answer({ sub: 'alice' }))).toBe(T0 - 30);
    expect(cutoffs.cutoffFor(answer({ sub: 'dave' }))).toBe(T0 - 30);
    expect(cutoffs.cutoffFor(answer({ sub: 'carol' }))).toBe(T0 - 10);
    now = T0 + 10_000;
    expect(cutoffs.cutoffFor(answer({ sub: 'dave' }))).toBe(0);
  });

  it('makes room by dropping expired markers before folding live ones', () => {
    const cutoffs = new RevocationCutoffs(clock, { maxMarkers: 1 });
    cutoffs.add({ sub: 'alice' }, T0, T0 + 1_000);
    now = T0 + 1_000;
    expect(cutoffs.add({ sub: 'bob' }, T0, T0 + 2_000)).toBe(true);
    expect(cutoffs.cutoffFor(answer({ sub: 'dave' }))).toBe(0);
  });

  it.each([
    ['no member', {}],
    ['an empty member', { sub: '' }],
    ['a member that is not a string', { sub: 42 }],
    ['a member too long', { jti: 'x'.repeat(1025) }],
  ])('refuses a filter with %s', (_case, filter) => {
    const cutoffs = new RevocationCutoffs(clock);
    const error = thrown(IntrospectionError, () => cutoffs.add(filter as RevocationFilter, T0, T0 + 1));
    expect(error.message).toContain('sub, sid, clientId, jti');
  });

  it('refuses instants that are not finite, and a bound that is not a positive integer', () => {
    const cutoffs = new RevocationCutoffs(clock);
    thrown(IntrospectionError, () => cutoffs.add({ sub: 'a' }, Number.NaN, T0 + 1));
    thrown(IntrospectionError, () => new RevocationCutoffs(clock, { maxMarkers: 0 }));
  });

  describe('properties', () => {
    // Small alphabets, so that markers and answers share members often, and
    // values whose concatenations collide ('a' + 'ab', 'aa' + 'b').
    const value = fc.constantFrom('a', 'aa', 'b', 'ab', '1:a', '');
    const member = fc.option(value, { nil: undefined });
    const filter = fc
      .record({ sub: member, sid: member, clientId: member, jti: member })
      .map((members) =>
        Object.fromEntries(Object.entries(members).filter(([, v]) => v !== undefined && v !== '')),
      )
      .filter((members) => Object.keys(members).length > 0) as fc.Arbitrary<RevocationFilter>;
    const marker = fc.record({
      filter,
      before: fc.integer({ min: T0 - 1_000, max: T0 + 1_000 }),
      keepUntil: fc.integer({ min: T0 + 1, max: T0 + 2_000 }),
    });
    const result = fc
      .record({ sub: member, sid: fc.oneof(member, fc.constant(7)), clientId: member, jti: member })
      .map(answer);

    it('cutoffFor equals the brute-force reference, as time passes', () => {
      fc.assert(
        fc.property(
          fc.array(marker, { maxLength: 30 }),
          fc.array(result, { minLength: 1, maxLength: 10 }),
          fc.integer({ min: 0, max: 2_000 }),
          (markers, results, elapsed) => {
            now = T0;
            const cutoffs = new RevocationCutoffs(clock);
            markers.forEach((m) => expect(cutoffs.add(m.filter, m.before, m.keepUntil)).toBe(true));
            now = T0 + elapsed;
            for (const r of results) {
              expect(cutoffs.cutoffFor(r)).toBe(referenceCutoff(markers, r, now));
            }
          },
        ),
        { numRuns: 2_000 },
      );
    });

    it('never un-revokes when the bound folds markers', () => {
      fc.assert(
        fc.property(
          fc.array(marker, { maxLength: 30 }),
          fc.integer({ min: 1, max: 5 }),
          fc.array(result, { minLength: 1, maxLength: 10 }),
          (markers, maxMarkers, results) => {
            now = T0;
            const cutoffs = new RevocationCutoffs(clock, { maxMarkers });
            markers.forEach((m) => cutoffs.add(m.filter, m.before, m.keepUntil));
            expect(cutoffs.size).toBeLessThanOrEqual(maxMarkers);
            for (const r of results) {
              expect(cutoffs.cutoffFor(r)).toBeGreaterThanOrEqual(referenceCutoff(markers, r, now));
            }
          },
        ),
        { numRuns: 1_000 },
      );
    });
  });
});
