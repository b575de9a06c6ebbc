import type { IntrospectionResult } from '../interfaces/introspection-result.interface';

/** One validated answer held in process memory. */
interface TierEntry {
  readonly result: IntrospectionResult;
  /** The store key the answer lives under, for evictions that name it. */
  readonly storeKey: string;
  /** Until when it may be served, by this instance's clock. */
  readonly usableUntil: number;
  /** When the introspection that produced it started, by this instance's clock. */
  readonly requestedAt: number;
}

/**
 * A bounded in-process tier of already-validated, deeply frozen answers in
 * front of the cache store (memory or Redis): a hit costs a map lookup, no
 * decoding, MAC check, timer or store call. Entries are keyed by a one-shot
 * hash of the token (never the token itself), are never older than the
 * store's own freshness and, in front of a shared store, than `maxAgeMs`,
 * so that a deletion by another instance is seen here within that bound.
 * When full, the oldest entries are dropped first.
 * @internal
 */
export class LocalResultTier {
  private readonly entries = new Map<string, TierEntry>();
  /** Local keys by store key, for `evictStoreKey` (evictions by other instances name store keys). */
  private readonly byStoreKey = new Map<string, string>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxAgeMs: number,
  ) {}

  /** Whether the tier holds anything at all (it is off when `maxAgeMs` or `maxEntries` is 0). */
  get enabled(): boolean {
    return this.maxAgeMs > 0 && this.maxEntries > 0;
  }

  /** How many entries are held. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The answer under `localKey` while it may be served at `now`, with when its
   * introspection started; `undefined` otherwise (an expired entry is dropped).
   */
  get(localKey: string, now: number): TierEntry | undefined {
    const entry = this.entries.get(localKey);
    if (entry === undefined) {
      return undefined;
    }
    if (entry.usableUntil > now) {
      return entry;
    }
    this.remove(localKey, entry);
    return undefined;
  }

  /** Keeps `result` until `freshUntil`, at most `maxAgeMs` from `now`. */
  set(
    localKey: string,
    storeKey: string,
    result: IntrospectionResult,
    { now, freshUntil, requestedAt }: { now: number; freshUntil: number; requestedAt: number },
  ): void {
    if (!this.enabled) {
      return;
    }
    const usableUntil = Math.min(freshUntil, now + this.maxAgeMs);
    if (!(usableUntil > now)) {
      return;
    }
    const previous = this.entries.get(localKey);
    if (previous !== undefined) {
      this.remove(localKey, previous);
    }
    while (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: the first entry is the oldest.
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, TierEntry];
      this.remove(oldestKey, oldest);
    }
    this.entries.set(localKey, { result, storeKey, usableUntil, requestedAt });
    this.byStoreKey.set(storeKey, localKey);
  }

  /** Drops the entry under `localKey`, if any. */
  evict(localKey: string): void {
    const entry = this.entries.get(localKey);
    if (entry !== undefined) {
      this.remove(localKey, entry);
    }
  }

  /** Drops the entry stored under `storeKey` in the store, if this tier holds it. */
  evictStoreKey(storeKey: string): void {
    const localKey = this.byStoreKey.get(storeKey);
    if (localKey !== undefined) {
      this.evict(localKey);
    }
  }

  /** Drops everything. */
  clear(): void {
    this.entries.clear();
    this.byStoreKey.clear();
  }

  private remove(localKey: string, entry: TierEntry): void {
    this.entries.delete(localKey);
    if (this.byStoreKey.get(entry.storeKey) === localKey) {
      this.byStoreKey.delete(entry.storeKey);
    }
  }
}
