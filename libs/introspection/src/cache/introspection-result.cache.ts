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

/** What the store holds per token: the server's answer, never a token or secret. */
interface CacheEntry {
  /** The introspection response object, as JSON. */
  readonly claims: string;
  /** When the answer was received, by the writer's clock. */
  readonly storedAt: number;
  /** When the entry stops being usable, by the writer's clock. */
  readonly expiresAt: number;
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

  /** Keeps `result` for its lifetime (see `cacheLifetimeMs`), if it has one. */
  async write(key: string, result: IntrospectionResult): Promise<void> {
    const now = this.clock.now();
    const lifetime = cacheLifetimeMs(result, this.options, now);
    if (lifetime <= 0) {
      return;
    }
    const entry: CacheEntry = {
      claims: JSON.stringify(result.claims),
      storedAt: now,
      expiresAt: now + lifetime,
      ...(result.jwt === undefined ? {} : { jwt: result.jwt }),
    };
    await this.call((cache) => cache.set(key, entry, lifetime));
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

  private decode(value: unknown): IntrospectionResult | 'expired' | 'unreadable' {
    if (typeof value !== 'object' || value === null) {
      return 'unreadable';
    }
    const { claims, storedAt, expiresAt, jwt } = value as Partial<CacheEntry>;
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
    if (!(expiresAt > now)) {
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
    return storedAt + cacheLifetimeMs(result, this.options, storedAt) > now ? result : 'expired';
  }
}
