import { Inject, Injectable, Optional } from '@nestjs/common';
import { IntrospectionResultCache } from './cache/introspection-result.cache';
import { InjectIntrospectionOptions } from './decorators/inject-introspection-options.decorator';
import { IntrospectionUnavailableError } from './errors/introspection.errors';
import { IntrospectionEvents } from './events/introspection-events';
import { IntrospectionHttpClient } from './http/introspection-http.client';
import type { ResolvedIntrospectionOptions } from './interfaces/introspection-options.interface';
import type { IntrospectionResult, IntrospectOptions } from './interfaces/introspection-result.interface';
import type { InvalidateWhereOptions, RevocationFilter } from './interfaces/revocation.interface';
import { JwtAccessTokenVerifier } from './jwt-access-token/jwt-access-token.verifier';
import { deepFreeze } from './result/freeze-result';
import { IntrospectionTelemetry } from './telemetry/introspection-telemetry';

/** The answer for a token refused by local JWT validation: inactive, nothing else known. */
const LOCALLY_REJECTED: IntrospectionResult = deepFreeze({
  active: false,
  scopes: [],
  aud: [],
  claims: {},
});

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
  async introspect(token: string, options: IntrospectOptions = {}): Promise<IntrospectionResult> {
    assertArguments(token, options);
    // A span only when an OpenTelemetry SDK is registered; otherwise one branch.
    return this.telemetry?.tracing
      ? this.telemetry.trace(() => this.introspectChecked(token, options))
      : this.introspectChecked(token, options);
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
    const key = this.cache.key(token, tokenTypeHint);
    let flight = this.flights.get(key);
    if (!flight) {
      flight = this.lookUp(key, token, tokenTypeHint);
      this.flights.set(key, flight);
      const land = () => {
        if (this.flights.get(key) === flight) {
          this.flights.delete(key);
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
   * the same system). An introspection of it under way is not cached either.
   * The store's entries are deleted even while it is bypassed after a fault.
   *
   * @throws IntrospectionCacheError the store did not confirm the deletion:
   * this instance no longer serves the entry, but others sharing the store
   * may until it expires; retry, or accept that window.
   */
  async invalidate(token: string, options: IntrospectOptions = {}): Promise<void> {
    assertArguments(token, options);
    if (!this.cache.enabled) {
      return;
    }
    const tokenTypeHint = options.tokenTypeHint ?? this.options.tokenTypeHint;
    const key = this.cache.key(token, tokenTypeHint);
    const flight = this.flights.get(key);
    if (flight) {
      flight.invalidated = true;
      this.flights.delete(key);
    }
    await this.cache.delete(key, token, tokenTypeHint);
  }

  /**
   * Makes unusable every cached answer for the subject, session, client or
   * token id of `filter` from introspections started before `options.before`.
   */
  // Replaced by the revocation work (integrator).
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  invalidateWhere(filter: RevocationFilter, options: InvalidateWhereOptions = {}): Promise<void> {
    throw new Error('invalidateWhere: wired by the revocation branch');
  }

  private lookUp(key: string, token: string, tokenTypeHint: string): Flight {
    const state = { invalidated: false };
    const result = (async () => {
      const cached = await this.cache.read(key, token, tokenTypeHint);
      if (cached) {
        this.events.emit('cache.hit', { stale: false });
        return cached;
      }
      this.events.emit('cache.miss', {});
      let answer: IntrospectionResult;
      try {
        answer = await this.client.introspect(token, tokenTypeHint);
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
        await this.cache.write(key, answer);
      }
      return answer;
    })().then(deepFreeze);
    return Object.assign(state, { result });
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
