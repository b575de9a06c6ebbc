import { Injectable } from '@nestjs/common';
import type { errors as JoseErrors, JWTVerifyGetKey } from 'jose';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import { IntrospectionUnavailableError } from '../errors/introspection.errors';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import { shownUrl } from '../config/option-values';
import { loadJose } from './jose';

/** Shortest interval between two fetches of one key set on an unknown `kid`. */
const KEY_SET_COOLDOWN_MS = 30_000;
/** How long fetched keys are used before the set is fetched again. */
const KEY_SET_MAX_AGE_MS = 10 * 60_000;

/**
 * Remote JWK Sets by URL, fetched with `jose`: cached, fetched again at most
 * every 30 s on an unknown `kid`. `jku`, `x5u` and `jwk` headers are never
 * followed: keys come from the configured or discovered URL only.
 * @internal
 */
@Injectable()
export class RemoteKeySetsService {
  private readonly sets = new Map<string, JWTVerifyGetKey>();

  constructor(@InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions) {}

  /** The key resolver of the JWK Set at `url`; loads jose on first use. */
  async get(url: string, feature: string): Promise<JWTVerifyGetKey> {
    let set = this.sets.get(url);
    if (!set) {
      const { createRemoteJWKSet } = await loadJose(feature);
      set =
        this.sets.get(url) ??
        createRemoteJWKSet(new URL(url), {
          timeoutDuration: this.options.timeoutMs,
          cooldownDuration: KEY_SET_COOLDOWN_MS,
          cacheMaxAge: KEY_SET_MAX_AGE_MS,
        });
      this.sets.set(url, set);
    }
    return set;
  }
}

/**
 * Whether a `jose` verification error means the keys could not be obtained
 * (an outage: 503) rather than that the JWT is bad.
 */
export function isKeySetUnavailable(error: unknown, errors: typeof JoseErrors): boolean {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return true;
  }
  // A network error from fetch, or jose's generic error for a non-200 key set answer.
  return !(error instanceof errors.JOSEError) || error.code === 'ERR_JOSE_GENERIC';
}

/** The error for a key set that could not be fetched; no detail that could carry data. */
export function keySetUnavailable(url: string): IntrospectionUnavailableError {
  return new IntrospectionUnavailableError(`The JWK Set at ${shownUrl(url)} could not be fetched.`);
}
