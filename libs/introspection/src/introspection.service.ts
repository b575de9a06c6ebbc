import { Inject, Injectable, Optional } from '@nestjs/common';
import { DistributedCoalescing } from './cache/distributed-coalescing';
import { IntrospectionResultCache } from './cache/introspection-result.cache';
import { InjectIntrospectionOptions } from './decorators/inject-introspection-options.decorator';
import { IntrospectionUnavailableError } from './errors/introspection.errors';
import { IntrospectionEvents } from './events/introspection-events';
import { IntrospectionHttpClient } from './http/introspection-http.client';
import type { ResolvedIntrospectionOptions } from './interfaces/introspection-options.interface';
import type { IntrospectionResult, IntrospectOptions } from './interfaces/introspection-result.interface';
import { systemClock, type Clock } from './interfaces/clock.interface';
import type { InvalidateWhereOptions, RevocationFilter } from './interfaces/revocation.interface';
import { INTROSPECTION_CLOCK } from './introspection.constants';
import { JwtAccessTokenVerifier } from './jwt-access-token/jwt-access-token.verifier';
import { deepFreeze } from './result/freeze-result';
import { parseRevocationFilter } from './revocation/revocation-filter';
import { Revocations } from './revocation/revocations';
import { IntrospectionTelemetry } from './telemetry/introspection-telemetry';

/** The answer for a token refused by local JWT validation: inactive, nothing else known. */
const LOCALLY_REJECTED: IntrospectionResult = deepFreeze({
  active: false,
  scopes: [],
  aud: [],
  claims: {},
});

/** The options of a call that gives none: one object, so the argument check has nothing to look at. */
const NO_OPTIONS: IntrospectOptions = Object.freeze({});

/** The payload of every fresh cache hit: one object, not one per hit. */
const FRESH_HIT = Object.freeze({ stale: false });

/** One lookup of one cache key under way, shared by every concurrent caller. */
interface Flight {
  readonly result: Promise<IntrospectionResult>;
  /** Set by `invalidate()`: the answer must not be written to the cache. */
  invalidated: boolean;
}

/**
 * The introspector: asks the authorization server whether a token is active
 * right now (RFC 7662), reusing answers for `ttl` when caching is on.
 *
 * @example
 * const result = await introspection.introspect(token);
 * if (result.active && result.scopes.includes('read:payments')) { ... }
 */
@Injectable()
export class IntrospectionService {
  private readonly flights = new Map<string, Flight>();
  // A property, not a constructor parameter: the service's signature stays as it is.
  @Optional() @Inject(IntrospectionTelemetry) private readonly telemetry?: IntrospectionTelemetry;
  @Optional() @Inject(DistributedCoalescing) private readonly coalescing?: DistributedCoalescing | null;
  @Optional() @Inject(Revocations) private readonly revocations?: Revocations;
  @Inject(INTROSPECTION_CLOCK) private readonly clock: Clock = systemClock;

  constructor(
    private readonly client: IntrospectionHttpClient,
    private readonly cache: IntrospectionResultCache,
    private readonly events: IntrospectionEvents,
    private readonly localJwt: JwtAccessTokenVerifier,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
  ) {}

  /**
   * Introspects `token`. With the `jwt` option, a JWT is first verified
   * locally and resolves as inactive, without a request, when it fails.
   * Resolves with the validated answer, active or not;
   * rejects when there is no usable answer, never resolving to "inactive"
   * for an outage. With caching on, concurrent calls for the same token share
   * one lookup and one request (single flight), and share its error too.
   * The result is deeply frozen (its arrays, `claims` and `cnf` included):
   * it may be shared with other requests, so mutating it throws.
   *
   * With `staleIfError`, an active cached answer within its window stands in
   * for an answer the endpoint cannot give.
   *
   * @throws IntrospectionUnavailableError no answer (network error, timeout, 5xx, 429, breaker open)
   * @throws IntrospectionResponseError malformed answer, or our client credentials rejected
   */
  async introspect(token: string, options: IntrospectOptions = NO_OPTIONS): Promise<IntrospectionResult> {
    assertArguments(token, options);
    // A span only when an OpenTelemetry SDK is registered; otherwise one branch.
    return this.telemetry?.tracing
      ? this.telemetry.trace(() => this.introspectChecked(token, options))
      : this.introspectChecked(token, options);
  }

  /**
   * The answer this instance holds in memory for `token` (the configured
   * token type hint), without a promise: what the guard tries first on every
   * request. `undefined` when there is none, and whenever something must run
   * before an answer is given (local JWT validation, a trace span): the
   * caller then uses `introspect()`.
   * @internal
   */
  cachedResult(token: string): IntrospectionResult | undefined {
    if (!this.cache.enabled || this.localJwt.enabled || this.telemetry?.tracing || token.length === 0) {
      return undefined;
    }
    return this.fromMemory(this.cache.localKey(token, this.options.tokenTypeHint));
  }

  /** The answer in the in-process tier under `localKey`, reported as a hit; `undefined` when there is none. */
  private fromMemory(localKey: string): IntrospectionResult | undefined {
    const local = this.cache.readLocal(localKey);
    if (local !== undefined) {
      this.events.emit('cache.hit', FRESH_HIT);
    }
    return local;
  }

  private async introspectChecked(token: string, options: IntrospectOptions): Promise<IntrospectionResult> {
    if (!this.localJwt.enabled) {
      return this.introspectRemotely(token, options);
    }
    // Couper's model: a JWT is verified locally first; one that fails costs
    // no introspection request, one that passes is introspected for revocation.
    const verdict = await this.localJwt.check(token);
    if (verdict.kind === 'rejected') {
      return LOCALLY_REJECTED;
    }
    const result = await this.introspectRemotely(token, options);
    return verdict.kind === 'verified'
      ? deepFreeze({ ...result, accessTokenClaims: verdict.claims })
      : result;
  }

  private async introspectRemotely(token: string, options: IntrospectOptions): Promise<IntrospectionResult> {
    const tokenTypeHint = options.tokenTypeHint ?? this.options.tokenTypeHint;
    if (!this.cache.enabled) {
      return deepFreeze(await this.client.introspect(token, tokenTypeHint));
    }
    // The hit path: one hash and one map lookup, nothing else.
    const localKey = this.cache.localKey(token, tokenTypeHint);
    const local = this.fromMemory(localKey);
    if (local !== undefined) {
      return local;
    }
    let flight = this.flights.get(localKey);
    if (!flight) {
      flight = this.lookUp(localKey, token, tokenTypeHint);
      this.flights.set(localKey, flight);
      const land = () => {
        if (this.flights.get(localKey) === flight) {
          this.flights.delete(localKey);
        }
      };
      // Errors are not kept: the next call after a failure tries again.
      flight.result.then(land, land);
    } else {
      this.events.emit('cache.joined', {});
    }
    return flight.result;
  }

  /**
   * Forgets what is cached about `token` (for logout or revocation within
   * the same system): in the store, and, with a Redis cache (`cache.url`),
   * in the memory of every instance sharing it, at once. An introspection of
   * it under way is not cached either. The store's entries are deleted even
   * while it is bypassed after a fault.
   *
   * @throws IntrospectionCacheError the store, or the channel to the other
   * instances, did not confirm within `cache.timeout`: this instance no
   * longer serves the entry, others may until they hear of it or it expires;
   * retry, or accept that window.
   */
  async invalidate(token: string, options: IntrospectOptions = NO_OPTIONS): Promise<void> {
    assertArguments(token, options);
    if (!this.cache.enabled) {
      return;
    }
    const tokenTypeHint = options.tokenTypeHint ?? this.options.tokenTypeHint;
    const localKey = this.cache.localKey(token, tokenTypeHint);
    const flight = this.flights.get(localKey);
    if (flight) {
      flight.invalidated = true;
      this.flights.delete(localKey);
    }
    await this.cache.delete(this.cache.key(token, tokenTypeHint), token, tokenTypeHint);
  }

  /**
   * Makes every cached answer matching `filter` unusable, on every instance
   * sharing the Redis cache (`cache.url`), and on this one otherwise: the
   * answers from introspections started before `before` (default now) whose
   * response has all of the filter's members (`sub`, `sid`, `client_id`,
   * `jti`). Later answers, e.g. after a new login, are not affected. No scan
   * of the store: a cut-off marker, checked on every cache hit, kept as long
   * as any answer from before it could be used (also for answers written
   * after it by an introspection that started before it).
   *
   * @example
   * await introspection.invalidateWhere({ sub: 'alice' });          // every session of alice
   * await introspection.invalidateWhere({ sid }, { before: loggedOutAt });
   * @throws TypeError a filter with none of the members, or members that are not non-empty strings
   * @throws IntrospectionCacheError Redis did not confirm the marker: applied on this instance only; retry
   */
  async invalidateWhere(filter: RevocationFilter, options: InvalidateWhereOptions = {}): Promise<void> {
    const parsed = parseRevocationFilter(filter);
    if (parsed === undefined) {
      throw new TypeError(
        'invalidateWhere() needs a filter with at least one of sub, sid, clientId, jti, each a non-empty string of at most 1024 characters.',
      );
    }
    const { before } = (options ?? {}) as { before?: unknown };
    if (before !== undefined && !(before instanceof Date && Number.isFinite(before.getTime()))) {
      throw new TypeError('The before option of invalidateWhere() must be a valid Date.');
    }
    if (!this.cache.enabled || !this.revocations) {
      return;
    }
    const cutoff = before === undefined ? this.clock.now() : before.getTime();
    // Lookups under way started before now: none of them may be cached now.
    for (const flight of this.flights.values()) {
      flight.invalidated = true;
    }
    this.flights.clear();
    await this.revocations.revokeWhere(parsed, cutoff, this.revocations.keepUntil(cutoff));
  }

  private lookUp(localKey: string, token: string, tokenTypeHint: string): Flight {
    const state = { invalidated: false };
    const key = this.cache.key(token, tokenTypeHint);
    const result = (async () => {
      const cached = await this.cache.read(key, token, tokenTypeHint, localKey);
      if (cached) {
        this.events.emit('cache.hit', FRESH_HIT);
        return cached;
      }
      this.events.emit('cache.miss', {});
      const work = () => this.introspectAndKeep(key, localKey, token, tokenTypeHint, state);
      // With cache.coalescing 'distributed', one instance of the fleet asks; the others read its answer.
      return this.coalescing
        ? this.coalescing.run(key, this.options.timeoutMs, work, () =>
            this.cache.read(key, token, tokenTypeHint, localKey),
          )
        : work();
    })();
    return Object.assign(state, { result });
  }

  /** Asks the server, keeps the answer (unless invalidated meanwhile); stale-if-error when there is no answer. */
  private async introspectAndKeep(
    key: string,
    localKey: string,
    token: string,
    tokenTypeHint: string,
    state: { invalidated: boolean },
  ): Promise<IntrospectionResult> {
    // Taken before the request: a cut-off made while it is under way applies to its answer.
    const requestedAt = this.clock.now();
    let answer: IntrospectionResult;
    try {
      // Frozen before it is cached: the tier hands out this very object.
      answer = deepFreeze(await this.client.introspect(token, tokenTypeHint));
    } catch (error) {
      // Stale-if-error: only when there is no answer at all, never for an
      // unusable one, and only an active answer within its window.
      const stale =
        error instanceof IntrospectionUnavailableError && !state.invalidated
          ? await this.cache.readStale(key, token, tokenTypeHint)
          : undefined;
      if (!stale) {
        throw error;
      }
      this.events.emit('cache.hit', { stale: true });
      return stale;
    }
    if (!state.invalidated) {
      await this.cache.write(key, answer, localKey, requestedAt);
    }
    return answer;
  }
}

/**
 * The public API's arguments, checked at run time: JavaScript callers and
 * factories bypass the types, and a non-string hint would be sent as
 * `token_type_hint=[object Object]`. Messages never quote the token.
 */
function assertArguments(token: unknown, options: unknown): asserts token is string {
  if (typeof token !== 'string' || token.length === 0) {
    throw new TypeError('A non-empty token string is required.');
  }
  if (options === NO_OPTIONS) {
    return;
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(
      'The options of introspect() and invalidate() must be an object such as { tokenTypeHint }.',
    );
  }
  const unknown = Object.keys(options).filter((key) => key !== 'tokenTypeHint');
  if (unknown.length > 0) {
    throw new TypeError(
      `Unknown introspect() option(s): ${unknown.join(', ')}; the only one is tokenTypeHint.`,
    );
  }
  const { tokenTypeHint } = options as { tokenTypeHint?: unknown };
  // RFC 7662 §2.1: a token type name as registered (RFC 7009 §4.1.2), e.g. access_token.
  if (
    tokenTypeHint !== undefined &&
    (typeof tokenTypeHint !== 'string' || !/^[A-Za-z0-9_.:-]+$/.test(tokenTypeHint))
  ) {
    throw new TypeError('tokenTypeHint must be a token type name such as "access_token" or "refresh_token".');
  }
}
