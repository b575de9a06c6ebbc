import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import type { Clock } from '../interfaces/clock.interface';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import {
  INTROSPECTION_CACHE,
  INTROSPECTION_CLOCK,
  INTROSPECTION_REGISTRATION_NAME,
} from '../introspection.constants';
import { parseIntrospectionClaims } from '../result/introspection-response.parser';
import { introspectionCacheKey } from './cache-key';
import { cacheLifetimeMs } from './cache-lifetime';

/** How long a failing store is bypassed before it is tried again. */
const STORE_RETRY_INTERVAL_MS = 5_000;

/**
 * How long past `freshUntil` an active answer may be used while the endpoint
 * cannot answer: the `staleIfError` window, cut at the token's `exp`.
 */
function staleWindowMs(result: IntrospectionResult, staleIfErrorMs: number, freshUntil: number): number {
  const window =
    result.exp === undefined ? staleIfErrorMs : Math.min(staleIfErrorMs, result.exp * 1000 - freshUntil);
  return window > 0 ? Math.floor(window) : 0;
}

/** What the store holds per token: the server's answer, never a token or secret. */
interface CacheEntry {
  /** The introspection response object, as JSON. */
  readonly claims: string;
  /** When the answer was received, by the writer's clock. */
  readonly storedAt: number;
  /** When the entry stops being usable, by the writer's clock. */
  readonly expiresAt: number;
  /**
   * Until when an active answer may still be used while the endpoint cannot
   * answer (`staleIfError`), by the writer's clock; absent when it may not.
   */
  readonly staleUntil?: number;
  /** The signed answer (RFC 9701) the claims came in, kept for audit on cache hits too. */
  readonly jwt?: string;
}

/**
 * The introspection answers kept for `ttl`, in whatever store is configured.
 * Never fails a request: a store that errs, times out or returns garbage is
 * logged (at most once per retry interval) and bypassed until it answers
 * again, and its entries are re-validated on every read.
 * @internal
 */
@Injectable()
export class IntrospectionResultCache implements OnModuleDestroy {
  private readonly logger = new Logger('Introspection');
  private bypassUntil = 0;
  private degraded = false;

  constructor(
    @Inject(INTROSPECTION_CACHE) private readonly cache: Cache | null,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
    @Inject(INTROSPECTION_CLOCK) private readonly clock: Clock,
    @Optional() @Inject(INTROSPECTION_REGISTRATION_NAME) private readonly namespace?: string,
  ) {
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

  /** Whether answers are cached at all (`ttl` > 0). */
  get enabled(): boolean {
    return this.cache !== null;
  }

  /** The key of a token under the current configuration. */
  key(token: string, tokenTypeHint: string): string {
    return introspectionCacheKey(token, {
      // A discovered endpoint is keyed by the issuer it was discovered from.
      endpoint: this.options.endpoint ?? `issuer:${this.options.issuer}`,
      clientId: this.options.clientId,
      tokenTypeHint,
      namespace: this.namespace,
    });
  }

  /** The cached answer for `key`, or `undefined` on a miss, an expired entry or any store fault. */
  async read(key: string): Promise<IntrospectionResult | undefined> {
    const entry = await this.call((cache) => cache.get<unknown>(key));
    if (entry === undefined || entry === null) {
      return undefined;
    }
    const result = this.decode(entry);
    if (result === 'unreadable') {
      this.logger.warn('The introspection cache returned an unreadable entry; ignoring it.');
      return undefined;
    }
    return result === 'expired' ? undefined : result;
  }

  /**
   * The cached *active* answer for `key` within its stale-if-error window,
   * for when the endpoint cannot answer; `undefined` otherwise (also when
   * `staleIfError` is off). Never past the token's `exp`.
   */
  async readStale(key: string): Promise<IntrospectionResult | undefined> {
    if (this.options.staleIfErrorMs <= 0) {
      return undefined;
    }
    const entry = await this.call((cache) => cache.get<unknown>(key));
    if (entry === undefined || entry === null) {
      return undefined;
    }
    const result = this.decode(entry, { stale: true });
    return typeof result === 'string' ? undefined : result;
  }

  /** Keeps `result` for its lifetime (see `cacheLifetimeMs`), if it has one, plus its stale-if-error window. */
  async write(key: string, result: IntrospectionResult): Promise<void> {
    const now = this.clock.now();
    const lifetime = cacheLifetimeMs(result, this.options, now);
    if (lifetime <= 0) {
      return;
    }
    const staleFor = result.active ? staleWindowMs(result, this.options.staleIfErrorMs, now + lifetime) : 0;
    const entry: CacheEntry = {
      claims: JSON.stringify(result.claims),
      storedAt: now,
      expiresAt: now + lifetime,
      ...(staleFor > 0 ? { staleUntil: now + lifetime + staleFor } : {}),
      ...(result.jwt === undefined ? {} : { jwt: result.jwt }),
    };
    await this.call((cache) => cache.set(key, entry, lifetime + staleFor));
  }

  /** Whether the store takes a write and answers a read within `cacheTimeout` (a health check). */
  async ping(): Promise<boolean> {
    const key = 'introspection:health-probe';
    const written = await this.call((cache) => cache.set(key, 1, 1_000).then(() => true));
    return written === true && (await this.call((cache) => cache.get<number>(key))) === 1;
  }

  /** Removes the entry of `key`. */
  async delete(key: string): Promise<void> {
    await this.call((cache) => cache.del(key));
  }

  async onModuleDestroy(): Promise<void> {
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
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.cacheTimeoutMs);
    });
    try {
      const outcome = await Promise.race([operation(this.cache), timeout]);
      if (outcome === 'timeout') {
        this.storeFailed('timeout');
        return undefined;
      }
      if (this.degraded && this.clock.now() >= this.bypassUntil) {
        this.degraded = false;
        this.logger.log('The introspection cache store answers again; using it.');
      }
      return outcome;
    } catch {
      this.storeFailed('error');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private storeFailed(reason: 'error' | 'timeout'): void {
    const now = this.clock.now();
    if (now < this.bypassUntil) {
      return;
    }
    this.bypassUntil = now + STORE_RETRY_INTERVAL_MS;
    this.degraded = true;
    // The error itself is not logged: store errors may echo keys or values.
    this.logger.warn(
      `The introspection cache store ${reason === 'timeout' ? `did not answer within ${this.options.cacheTimeoutMs} ms` : 'failed'}; introspecting without it for ${STORE_RETRY_INTERVAL_MS / 1000}s.`,
    );
  }

  private decode(value: unknown, { stale = false } = {}): IntrospectionResult | 'expired' | 'unreadable' {
    if (typeof value !== 'object' || value === null) {
      return 'unreadable';
    }
    const { claims, storedAt, expiresAt, staleUntil, jwt } = value as Partial<CacheEntry>;
    if (
      typeof claims !== 'string' ||
      typeof storedAt !== 'number' ||
      typeof expiresAt !== 'number' ||
      (jwt !== undefined && typeof jwt !== 'string')
    ) {
      return 'unreadable';
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
    } catch {
      return 'unreadable';
    }
    // This instance's rules bound the entry too, whoever wrote it: another
    // instance with a longer ttl (or a tampered store) cannot extend it.
    const freshUntil = storedAt + cacheLifetimeMs(result, this.options, storedAt);
    if (!stale) {
      return freshUntil > now ? result : 'expired';
    }
    // Stale answers: active only, within this instance's window, never past exp.
    return result.active && staleWindowMs(result, this.options.staleIfErrorMs, freshUntil) + freshUntil > now
      ? result
      : 'expired';
  }
}
