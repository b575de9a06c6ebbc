import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { hash } from 'node:crypto';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import { IntrospectionCacheError } from '../errors/introspection.errors';
import { IntrospectionEvents } from '../events/introspection-events';
import type { Clock } from '../interfaces/clock.interface';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import {
  INTROSPECTION_CACHE,
  INTROSPECTION_CLOCK,
  INTROSPECTION_REGISTRATION_NAME,
} from '../introspection.constants';
import { deepFreeze } from '../result/freeze-result';
import { parseIntrospectionClaims } from '../result/introspection-response.parser';
import { CacheKeyring } from './cache-keyring';
import { cacheLifetimeMs } from './cache-lifetime';
import { LocalResultTier } from './local-result-tier';
import { Revocations } from '../revocation/revocations';

/** How long a failing store is bypassed before it is tried again. */
const STORE_RETRY_INTERVAL_MS = 5_000;

/**
 * How long the in-process tier may keep an answer (bounded by the answer's
 * own freshness in any case): as long as it likes in front of the memory
 * store, or of Redis with the revocation channel (which pushes deletions
 * made elsewhere), unless `cache.localTtl` says otherwise; `cache.localTtl`
 * (default 1 s) in front of a store of the user's own.
 */
function localTierAge(options: ResolvedIntrospectionOptions, revocations?: Revocations): number {
  if (options.cacheLocalTtlMs !== undefined) {
    return options.cacheLocalTtlMs;
  }
  if (options.cache !== undefined) {
    return DEFAULT_LOCAL_TTL_MS;
  }
  if (options.cacheUrl !== undefined && !revocations?.distributed) {
    return DEFAULT_LOCAL_TTL_MS;
  }
  return Number.POSITIVE_INFINITY;
}

/** `cache.localTtl` in front of a shared store that pushes no deletions. */
const DEFAULT_LOCAL_TTL_MS = 1_000;

/** What `attempt` returns when the store failed or did not answer in time. */
const FAILED = Symbol('failed');

/**
 * How long past `freshUntil` an active answer may be used while the endpoint
 * cannot answer: the `staleIfError` window, cut at the token's `exp`.
 */
function staleWindowMs(result: IntrospectionResult, staleIfErrorMs: number, freshUntil: number): number {
  const window =
    result.exp === undefined ? staleIfErrorMs : Math.min(staleIfErrorMs, result.exp * 1000 - freshUntil);
  return window > 0 ? Math.floor(window) : 0;
}

/** A usable entry, decoded: the answer and until when it is fresh, by the writer's clock. */
interface Decoded {
  readonly result: IntrospectionResult;
  readonly freshUntil: number;
  /** When its introspection started; 0 for entries that do not say (every cut-off then applies). */
  readonly requestedAt: number;
}

/** What the store holds per token: the server's answer, never a token or secret. */
interface CacheEntry {
  /** The introspection response object, as JSON. */
  readonly claims: string;
  /** When the answer was received, by the writer's clock. */
  readonly storedAt: number;
  /** When the introspection that produced it started, by the writer's clock (for cut-offs, see `Revocations`). */
  readonly requestedAt?: number;
  /** When the entry stops being usable, by the writer's clock. */
  readonly expiresAt: number;
  /**
   * Until when an active answer may still be used while the endpoint cannot
   * answer (`staleIfError`), by the writer's clock; absent when it may not.
   */
  readonly staleUntil?: number;
  /** The signed answer (RFC 9701) the claims came in, kept for audit on cache hits too. */
  readonly jwt?: string;
  /** HMAC-SHA256 of all of the above, the key and the registration (see `CacheKeyring`). */
  readonly mac: string;
}

/**
 * The introspection answers kept for `ttl`, in whatever store is configured.
 * Never fails a request: a store that errs, times out or returns garbage is
 * logged (at most once per retry interval) and bypassed until it answers
 * again, and its entries are authenticated and re-validated on every read.
 * @internal
 */
@Injectable()
export class IntrospectionResultCache implements OnModuleDestroy {
  private readonly logger = new Logger('Introspection');
  private readonly keyring: CacheKeyring;
  /** Validated answers in memory, in front of the store (see `LocalResultTier`). */
  private readonly tier: LocalResultTier;
  /**
   * Keys whose deletion the store did not confirm, with the time until which
   * this instance must not read them: the longest an entry written before
   * could still be used. At most `cacheMaxEntries`, the oldest dropped first.
   */
  private readonly tombstones = new Map<string, number>();
  private bypassUntil = 0;
  private degraded = false;
  /** Store errors seen so far, including those reported only as events. */
  private failures = 0;
  private lastRejectionWarning = Number.NEGATIVE_INFINITY;

  constructor(
    @Inject(INTROSPECTION_CACHE) private readonly cache: Cache | null,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
    @Inject(INTROSPECTION_CLOCK) private readonly clock: Clock,
    private readonly events: IntrospectionEvents,
    @Optional() @Inject(INTROSPECTION_REGISTRATION_NAME) namespace?: string,
    @Optional() private readonly revocations?: Revocations,
  ) {
    this.keyring = new CacheKeyring([options.cacheSecret, ...options.cachePreviousSecrets], {
      responseFormat: options.responseFormat,
      endpoint: options.endpoint,
      issuer: options.issuer,
      clientId: options.clientId,
      responseSigningAlgorithms: options.responseSigningAlgorithms,
      requestParams: options.requestParams,
      namespace,
    });
    // In front of a shared store, memory may lag behind deletions by other
    // instances: bounded by cache.localTtl. The memory store is ours alone.
    // With the revocation channel, deletions elsewhere are pushed here at
    // once, and memory may keep entries as long as the store (see `localTierAge`).
    this.tier = new LocalResultTier(cache ? options.cacheMaxEntries : 0, localTierAge(options, revocations));
    revocations?.onEvict((key) => this.tier.evictStoreKey(key));
    // Deaf, this instance could miss a revocation: forget what memory holds.
    revocations?.onDeaf(() => this.tier.clear());
    if (!cache && (options.cacheUrl || options.cache)) {
      this.logger.warn(
        'A cache store is configured but ttl is 0, so no answer is cached; set ttl to use it.',
      );
    }
    const storeFailed = (event: { error?: unknown }) => {
      if (event?.error !== undefined) {
        this.storeFailed('error');
      }
    };
    cache?.on('get', storeFailed);
    cache?.on('set', storeFailed);
    cache?.on('del', storeFailed);
    // Keyv reports store errors as events; a listener also keeps an
    // unhandled 'error' event from surfacing.
    for (const store of cache?.stores ?? []) {
      store.on('error', () => this.storeFailed('error'));
    }
  }

  /** Whether the in-process tier may be used now: not while revocations from elsewhere could be missed. */
  private get tierUsable(): boolean {
    return this.revocations === undefined || this.revocations.hearing;
  }

  /** Whether answers are cached at all (`ttl` > 0). */
  get enabled(): boolean {
    return this.cache !== null;
  }

  /** The key of a token under the current configuration and cache secret. */
  key(token: string, tokenTypeHint: string): string {
    return this.keyring.key(token, tokenTypeHint);
  }

  /**
   * The key of a token in the in-process tier: a one-shot SHA-256 of the
   * hint and the token, computed once per request on the hit path. It never
   * leaves the process; the store's keys are keyed with the cache secret.
   */
  localKey(token: string, tokenTypeHint: string): string {
    // The hint is a token type name ([A-Za-z0-9_.:-]+): it cannot hold the separator.
    return hash('sha256', `${tokenTypeHint}\n${token}`, 'base64url');
  }

  /**
   * The answer held in memory under `localKey` while it is fresh: already
   * validated and frozen, no store call. `undefined` when there is none.
   */
  readLocal(localKey: string): IntrospectionResult | undefined {
    const entry = this.tier.get(localKey, this.clock.now());
    if (entry === undefined) {
      return undefined;
    }
    const revocations = this.revocations;
    if (
      revocations !== undefined &&
      (!revocations.hearing || revocations.revokes(entry.result, entry.requestedAt))
    ) {
      this.tier.evict(localKey);
      return undefined;
    }
    return entry.result;
  }

  /** Whether a cut-off marker (`invalidateWhere`) makes `result`, asked for at `requestedAt`, unusable. */
  revoked(result: IntrospectionResult, requestedAt: number): boolean {
    return this.revocations?.revokes(result, requestedAt) ?? false;
  }

  /**
   * The cached answer under `key`, or `undefined` on a miss, an expired or
   * rejected entry, or any store fault. Given the `token` whose current key
   * `key` is, it then looks under the keys of the previous cache secrets,
   * each entry checked with the secret that made it.
   */
  read(
    key: string,
    token?: string,
    tokenTypeHint?: string,
    localKey?: string,
  ): Promise<IntrospectionResult | undefined> {
    return this.find(key, token, tokenTypeHint, false, localKey);
  }

  /**
   * The cached *active* answer for `token` within its stale-if-error window,
   * for when the endpoint cannot answer; `undefined` otherwise (also when
   * `staleIfError` is off). Never past the token's `exp`.
   */
  async readStale(
    key: string,
    token?: string,
    tokenTypeHint?: string,
  ): Promise<IntrospectionResult | undefined> {
    return this.options.staleIfErrorMs <= 0 ? undefined : this.find(key, token, tokenTypeHint, true);
  }

  /** Keeps `result` for its lifetime (see `cacheLifetimeMs`), if it has one, plus its stale-if-error window. */
  async write(
    key: string,
    result: IntrospectionResult,
    localKey?: string,
    requestedAt = this.clock.now(),
  ): Promise<void> {
    const now = this.clock.now();
    const lifetime = cacheLifetimeMs(result, this.options, now);
    // An answer asked for before a cut-off that matches it is not kept, even when it arrives after it.
    if (lifetime <= 0 || this.revoked(result, requestedAt)) {
      return;
    }
    if (localKey !== undefined && this.tierUsable) {
      this.tier.set(localKey, key, result, { now, freshUntil: now + lifetime, requestedAt });
    }
    const staleFor = result.active ? staleWindowMs(result, this.options.staleIfErrorMs, now + lifetime) : 0;
    const content = {
      claims: JSON.stringify(result.claims),
      storedAt: now,
      requestedAt,
      expiresAt: now + lifetime,
      ...(staleFor > 0 ? { staleUntil: now + lifetime + staleFor } : {}),
      ...(result.jwt === undefined ? {} : { jwt: result.jwt }),
    };
    const entry: CacheEntry = { ...content, mac: this.keyring.sign(key, content) };
    await this.call((cache) => cache.set(key, entry, lifetime + staleFor));
  }

  /** Whether the store takes a write and answers a read within `cacheTimeout` (a health check). */
  async ping(): Promise<boolean> {
    const key = 'introspection:health-probe';
    const written = await this.call((cache) => cache.set(key, 1, 1_000).then(() => true));
    return written === true && (await this.call((cache) => cache.get<number>(key))) === 1;
  }

  /**
   * Removes the entries of `token` (whose current key is `key`), under the
   * current and the previous cache secrets. Tried even while the store is
   * bypassed after a failure. When the store does not confirm it, this
   * instance stops reading those entries for as long as they could be used,
   * and the call rejects: other instances may still serve them.
   *
   * @throws IntrospectionCacheError the store failed or did not answer within `cacheTimeout`
   */
  async delete(key: string, token?: string, tokenTypeHint = this.options.tokenTypeHint): Promise<void> {
    if (!this.cache) {
      return;
    }
    this.tier.evictStoreKey(key);
    if (token !== undefined) {
      this.tier.evict(this.localKey(token, tokenTypeHint));
    }
    const keys = [key];
    for (let generation = 1; token !== undefined && generation < this.keyring.generations; generation++) {
      keys.push(this.keyring.key(token, tokenTypeHint, generation));
    }
    const failuresBefore = this.failures;
    const outcome = await this.attempt((cache) => cache.mdel(keys));
    // A store that reports errors as events only (Keyv without throwOnErrors) resolves anyway.
    if (outcome === FAILED || this.failures !== failuresBefore) {
      this.bury(key);
      // The others bypass their memory while the channel is deaf, so it is worth telling them anyway.
      await this.revocations?.evicted(key).catch(() => undefined);
      throw new IntrospectionCacheError(
        `The introspection cache store did not confirm deleting the token's entry (it failed or did not answer within ${this.options.cacheTimeoutMs} ms). This instance will not use that entry again; other instances sharing the store may serve it until it expires, for up to ${Math.ceil(this.tombstoneLifetimeMs / 1000)}s. Retry the invalidation once the store answers.`,
      );
    }
    // Deleted from the store: every instance's memory must drop it too.
    try {
      await this.revocations?.evicted(key);
    } catch {
      throw new IntrospectionCacheError(
        "The token's cache entry was deleted, but the other instances could not be told at once (the revocation channel did not confirm within cache.timeout); they may keep serving it from memory until their own connection to Redis drops or the entry expires. Retry the invalidation.",
      );
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.tier.clear();
    // A user-supplied cache belongs to the user; ours is closed with the module.
    if (this.cache && !this.options.cache) {
      await this.cache.disconnect().catch(() => undefined);
    }
  }

  /** Runs one store operation within `cacheTimeout`; `undefined` when it fails or the store is bypassed. */
  private async call<T>(operation: (cache: Cache) => Promise<T>): Promise<T | undefined> {
    if (!this.cache || this.clock.now() < this.bypassUntil) {
      return undefined;
    }
    const outcome = await this.attempt(operation);
    return outcome === FAILED ? undefined : outcome;
  }

  /** Runs one store operation within `cacheTimeout`, bypassed or not; `FAILED` when it fails. */
  private async attempt<T>(operation: (cache: Cache) => Promise<T>): Promise<T | typeof FAILED> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.cacheTimeoutMs);
    });
    try {
      const outcome = await Promise.race([operation(this.cache!), timeout]);
      if (outcome === 'timeout') {
        this.storeFailed('timeout');
        return FAILED;
      }
      if (this.degraded && this.clock.now() >= this.bypassUntil) {
        this.degraded = false;
        this.logger.log('The introspection cache store answers again; using it.');
        this.events.emit('cache.store_restored', {});
      }
      return outcome;
    } catch {
      this.storeFailed('error');
      return FAILED;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Looks `token` up under each secret's key in turn; see `read`. */
  private async find(
    key: string,
    token: string | undefined,
    tokenTypeHint = this.options.tokenTypeHint,
    stale: boolean,
    localKey?: string,
  ): Promise<IntrospectionResult | undefined> {
    if (this.tombstones.size > 0 && this.buried(key)) {
      return undefined;
    }
    const generations = token === undefined ? 1 : this.keyring.generations;
    for (let generation = 0; generation < generations; generation++) {
      const generationKey = generation === 0 ? key : this.keyring.key(token!, tokenTypeHint, generation);
      const entry = await this.call((cache) => cache.get<unknown>(generationKey));
      if (entry === undefined || entry === null) {
        continue;
      }
      const decoded = this.decode(generationKey, generation, entry, stale);
      if (typeof decoded !== 'string') {
        if (this.revoked(decoded.result, decoded.requestedAt)) {
          return undefined;
        }
        if (!stale && localKey !== undefined && this.tierUsable) {
          this.tier.set(localKey, key, decoded.result, {
            now: this.clock.now(),
            freshUntil: decoded.freshUntil,
            requestedAt: decoded.requestedAt,
          });
        }
        return decoded.result;
      }
      if (decoded !== 'expired') {
        this.rejected(decoded);
      }
    }
    return undefined;
  }

  /** An entry that is not ours, or not readable: a miss, reported as an event and (rate-limited) in the log. */
  private rejected(reason: 'unauthenticated' | 'unreadable'): void {
    this.events.emit('cache.rejected', { reason });
    const now = this.clock.now();
    if (now - this.lastRejectionWarning >= STORE_RETRY_INTERVAL_MS) {
      this.lastRejectionWarning = now;
      // Neither the key nor the entry: a forged entry could carry anything.
      this.logger.warn(
        reason === 'unauthenticated'
          ? 'The introspection cache returned an entry that fails its authentication check (written by hand, altered, or under another cache secret or configuration); ignoring it.'
          : 'The introspection cache returned an unreadable entry; ignoring it.',
      );
    }
  }

  /** Stops this instance from reading `key` for as long as an entry written before now could be used. */
  private bury(key: string): void {
    const now = this.clock.now();
    for (const [buried, until] of this.tombstones) {
      // Every tombstone lasts as long: the first ones in the map end first.
      if (until > now && this.tombstones.size < this.options.cacheMaxEntries) {
        break;
      }
      this.tombstones.delete(buried);
    }
    this.tombstones.delete(key);
    this.tombstones.set(key, now + this.tombstoneLifetimeMs);
  }

  /** The longest an entry written before now may be used here: ttl, the stale window, and the writer's clock ahead of ours. */
  private get tombstoneLifetimeMs(): number {
    return this.options.ttlMs + this.options.staleIfErrorMs + this.options.clockToleranceMs;
  }

  private buried(key: string): boolean {
    const until = this.tombstones.get(key);
    if (until === undefined) {
      return false;
    }
    if (until > this.clock.now()) {
      return true;
    }
    this.tombstones.delete(key);
    return false;
  }

  private storeFailed(reason: 'error' | 'timeout'): void {
    this.failures++;
    const now = this.clock.now();
    if (now < this.bypassUntil) {
      return;
    }
    this.bypassUntil = now + STORE_RETRY_INTERVAL_MS;
    this.degraded = true;
    this.events.emit('cache.store_bypassed', { reason, retryInMs: STORE_RETRY_INTERVAL_MS });
    // The error itself is not logged: store errors may echo keys or values.
    this.logger.warn(
      `The introspection cache store ${reason === 'timeout' ? `did not answer within ${this.options.cacheTimeoutMs} ms` : 'failed'}; introspecting without it for ${STORE_RETRY_INTERVAL_MS / 1000}s.`,
    );
  }

  private decode(
    key: string,
    generation: number,
    value: unknown,
    stale: boolean,
  ): Decoded | 'expired' | 'unreadable' | 'unauthenticated' {
    if (typeof value !== 'object' || value === null) {
      return 'unreadable';
    }
    const entry = value as Partial<CacheEntry>;
    const { claims, storedAt, expiresAt, staleUntil, jwt, mac, requestedAt } = entry;
    if (
      typeof claims !== 'string' ||
      typeof storedAt !== 'number' ||
      (requestedAt !== undefined && typeof requestedAt !== 'number') ||
      typeof expiresAt !== 'number' ||
      (staleUntil !== undefined && typeof staleUntil !== 'number') ||
      (jwt !== undefined && typeof jwt !== 'string')
    ) {
      return 'unreadable';
    }
    // Checked before anything in the entry is believed, its times included.
    if (typeof mac !== 'string' || !this.keyring.verify(key, entry as CacheEntry, mac, generation)) {
      return 'unauthenticated';
    }
    const now = this.clock.now();
    // Stores round TTLs: the entry's own expiry decides, by our clock.
    const usableUntil = stale ? staleUntil : expiresAt;
    if (typeof usableUntil !== 'number' || !(usableUntil > now)) {
      return 'expired';
    }
    let result: IntrospectionResult;
    try {
      result = parseIntrospectionClaims(JSON.parse(claims));
      if (jwt !== undefined) {
        result = { ...result, jwt };
      }
      deepFreeze(result);
    } catch {
      return 'unreadable';
    }
    // This instance's rules bound the entry too, whoever wrote it: another
    // instance with a longer ttl cannot extend it.
    const freshUntil = storedAt + cacheLifetimeMs(result, this.options, storedAt);
    if (!stale) {
      return freshUntil > now
        ? { result, freshUntil: Math.min(freshUntil, expiresAt), requestedAt: requestedAt ?? 0 }
        : 'expired';
    }
    // Stale answers: active only, within this instance's window, never past exp.
    return result.active && staleWindowMs(result, this.options.staleIfErrorMs, freshUntil) + freshUntil > now
      ? { result, freshUntil, requestedAt: requestedAt ?? 0 }
      : 'expired';
  }
}
