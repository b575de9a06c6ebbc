import { IntrospectionError } from '../errors/introspection.errors';
import type { Clock } from '../interfaces/clock.interface';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import type { RevocationFilter } from '../interfaces/revocation.interface';
import { CLIENT_ID, filterShape, JTI, parseRevocationFilter, SID, shapeKey, SUB } from './revocation-filter';

/**
 * A cut-off marker: answers matching `filter` whose introspection started
 * before `before` are unusable, until `keepUntil` (when every such answer
 * has expired anyway).
 * @internal
 */
export interface RevocationMarker {
  readonly filter: RevocationFilter;
  /** Milliseconds since the epoch: introspections started before it are cut off. */
  readonly before: number;
  /** Milliseconds since the epoch: when the marker may be forgotten. */
  readonly keepUntil: number;
}

/** Options of {@link RevocationCutoffs}. @internal */
export interface RevocationCutoffsOptions {
  /**
   * How many markers are kept exactly. Past it, the oldest marker is folded
   * into a catch-all cut-off that applies to every answer (see `add`).
   * @default 100000
   */
  readonly maxMarkers?: number;
  /**
   * How often, at most, `add` sweeps the expired markers (markers found
   * expired on a lookup are dropped at once).
   * @default 1000
   */
  readonly sweepIntervalMs?: number;
}

/** A marker as held: mutable so that a repeated filter widens it in place. */
interface HeldMarker {
  readonly filter: RevocationFilter;
  readonly shape: number;
  before: number;
  keepUntil: number;
}

/**
 * The cut-off markers of `invalidateWhere()`, in memory, checked on every
 * cache hit without scanning the store.
 *
 * A marker for `{ sub: 'a', clientId: 'web' }` matches the answers that
 * have both (`sub` `a` and `client_id` `web`). An answer matches when the
 * members of the marker's filter are among its `sub`, `sid` (a string
 * `claims.sid`), `client_id` and `jti`, so a hit looks up, by canonical key,
 * only the shapes (subsets of those four members) that some marker has: at
 * most 15 lookups, and none at all, without allocating, when there is no
 * marker.
 *
 * The bound never un-revokes: when `maxMarkers` live markers are held,
 * `add` folds the oldest one into a catch-all cut-off (the latest `before`
 * and `keepUntil` of those folded), which applies to every answer. That
 * costs introspections, never a revoked token accepted, and `add` returns
 * `false` so the caller can report it.
 * @internal
 */
export class RevocationCutoffs {
  /** By canonical key ({@link shapeKey}); insertion order is age order. */
  private readonly markersByKey = new Map<string, HeldMarker>();
  /** How many markers each shape (index: mask) has. */
  private readonly shapeCounts = new Array<number>(16).fill(0);
  /** The shapes with at least one marker, so a hit looks up only those. */
  private shapes: number[] = [];
  private catchAllBefore = 0;
  private catchAllKeepUntil = 0;
  private nextSweepAt = 0;
  private readonly maxMarkers: number;
  private readonly sweepIntervalMs: number;

  constructor(
    private readonly clock: Clock,
    options: RevocationCutoffsOptions = {},
  ) {
    this.maxMarkers = options.maxMarkers ?? 100_000;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 1_000;
    if (!Number.isInteger(this.maxMarkers) || this.maxMarkers < 1) {
      throw new IntrospectionError('RevocationCutoffs: maxMarkers must be a positive integer.');
    }
  }

  /** How many markers are held exactly (the catch-all cut-off not counted). */
  get size(): number {
    return this.markersByKey.size;
  }

  /**
   * Marks the answers matching `filter` from introspections started before
   * `beforeMs` as unusable, until `keepUntilMs`. A marker for the same filter
   * is widened (the later of each instant), so adding is idempotent and
   * order-independent.
   * @returns false when the bound forced the oldest marker into the
   *   catch-all cut-off (every answer from before its `before` is unusable)
   * @throws IntrospectionError when `filter` has no member or a member that
   *   is not a non-empty string, or an instant is not a finite number
   */
  add(filter: RevocationFilter, beforeMs: number, keepUntilMs: number): boolean {
    const parsed = parseRevocationFilter(filter);
    if (parsed === undefined) {
      throw new IntrospectionError(
        'A revocation filter needs at least one of sub, sid, clientId, jti, each a non-empty string of at most 1024 characters.',
      );
    }
    if (!Number.isFinite(beforeMs) || !Number.isFinite(keepUntilMs)) {
      throw new IntrospectionError(
        'A revocation cut-off needs finite before and keepUntil instants (milliseconds).',
      );
    }
    const now = this.clock.now();
    if (keepUntilMs <= now) {
      return true;
    }
    const shape = filterShape(parsed);
    const key = shapeKey(shape, parsed.sub, parsed.sid, parsed.clientId, parsed.jti);
    const held = this.markersByKey.get(key);
    if (held !== undefined) {
      held.before = Math.max(held.before, beforeMs);
      held.keepUntil = Math.max(held.keepUntil, keepUntilMs);
      return true;
    }
    if (now >= this.nextSweepAt || this.markersByKey.size >= this.maxMarkers) {
      this.sweep();
    }
    let exact = true;
    while (this.markersByKey.size >= this.maxMarkers) {
      const [oldestKey, oldest] = this.markersByKey.entries().next().value as [string, HeldMarker];
      this.catchAllBefore = Math.max(this.catchAllBefore, oldest.before);
      this.catchAllKeepUntil = Math.max(this.catchAllKeepUntil, oldest.keepUntil);
      this.remove(oldestKey, oldest);
      exact = false;
    }
    this.markersByKey.set(key, { filter: parsed, shape, before: beforeMs, keepUntil: keepUntilMs });
    if (this.shapeCounts[shape]++ === 0) {
      this.shapes = this.activeShapes();
    }
    return exact;
  }

  /**
   * The latest `before` of the live markers matching `result` (and of the
   * catch-all cut-off), or 0 when none does. An answer whose introspection
   * started at `requestedAt` is unusable when `requestedAt < cutoffFor(result)`,
   * whenever it was written.
   */
  cutoffFor(result: IntrospectionResult): number {
    if (this.shapes.length === 0 && this.catchAllBefore === 0) {
      return 0;
    }
    const now = this.clock.now();
    let cutoff = 0;
    if (this.catchAllBefore !== 0) {
      if (this.catchAllKeepUntil > now) {
        cutoff = this.catchAllBefore;
      } else {
        this.catchAllBefore = 0;
        this.catchAllKeepUntil = 0;
      }
    }
    const { sub, clientId, jti } = result;
    const sid = typeof result.claims.sid === 'string' ? result.claims.sid : undefined;
    const present = (sub ? SUB : 0) | (sid ? SID : 0) | (clientId ? CLIENT_ID : 0) | (jti ? JTI : 0);
    for (const shape of this.shapes) {
      if ((shape & present) !== shape) {
        continue;
      }
      const key = shapeKey(shape, sub, sid, clientId, jti);
      const marker = this.markersByKey.get(key);
      if (marker === undefined) {
        continue;
      }
      if (marker.keepUntil <= now) {
        this.remove(key, marker);
      } else if (marker.before > cutoff) {
        cutoff = marker.before;
      }
    }
    return cutoff;
  }

  /** Whether the answer `result`, from an introspection started at `requestedAt`, is cut off. */
  revokes(result: IntrospectionResult, requestedAt: number): boolean {
    return requestedAt < this.cutoffFor(result);
  }

  /** The live markers, oldest first (the catch-all cut-off not included). */
  markers(): RevocationMarker[] {
    const now = this.clock.now();
    return [...this.markersByKey.values()]
      .filter((marker) => marker.keepUntil > now)
      .map(({ filter, before, keepUntil }) => ({ filter, before, keepUntil }));
  }

  /** Drops the expired markers. @returns how many were dropped */
  sweep(): number {
    const now = this.clock.now();
    this.nextSweepAt = now + this.sweepIntervalMs;
    let dropped = 0;
    for (const [key, marker] of this.markersByKey) {
      if (marker.keepUntil <= now) {
        this.remove(key, marker);
        dropped++;
      }
    }
    if (this.catchAllBefore !== 0 && this.catchAllKeepUntil <= now) {
      this.catchAllBefore = 0;
      this.catchAllKeepUntil = 0;
    }
    return dropped;
  }

  private remove(key: string, marker: HeldMarker): void {
    this.markersByKey.delete(key);
    if (--this.shapeCounts[marker.shape] === 0) {
      this.shapes = this.activeShapes();
    }
  }

  private activeShapes(): number[] {
    const shapes: number[] = [];
    for (let shape = 1; shape < 16; shape++) {
      if (this.shapeCounts[shape] > 0) {
        shapes.push(shape);
      }
    }
    return shapes;
  }
}
