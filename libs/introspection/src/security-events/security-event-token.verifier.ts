import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import type { Clock } from '../interfaces/clock.interface';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { ResolvedSecurityEventsOptions } from '../interfaces/security-events-options.interface';
import { INTROSPECTION_CLOCK } from '../introspection.constants';
import { loadJose } from '../keys/jose';
import {
  isKeySetUnavailable,
  keySetUnavailable,
  RemoteKeySetsService,
} from '../keys/remote-key-sets.service';
import { normalizeTyp } from '../result/jwt-introspection-response.verifier';
import { SecurityEventError } from './security-event.errors';
import { ASYMMETRIC_JWS_ALGORITHMS } from '../keys/asymmetric-jws-algorithms';
import { SecurityEventReplayCache } from './security-event-replay-cache';

/** `typ` of a SET (RFC 8417 §2.3), compared without case and `application/` (RFC 8725 §3.11). */
export const SECURITY_EVENT_TYP = 'secevent+jwt';
/** Asymmetric JWS algorithms only: never `none`, never HMAC with a shared secret (RFC 8725 §3.1, §3.2). */
export const SECURITY_EVENT_ALGORITHMS: string[] = [...ASYMMETRIC_JWS_ALGORITHMS];
/** Most events one SET may carry: bounded work per request (RFC 8417 §2.2 expects one). */
export const MAX_EVENTS_PER_SET = 10;
const MAX_JTI_LENGTH = 256;
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const FEATURE = 'securityEvents';

/** A SET that passed every check, its `jti` claimed against replays. */
export interface VerifiedSecurityEventToken {
  readonly jti: string;
  /** `iat`, in seconds. */
  readonly iat: number;
  /** Event type URI → event payload (each a JSON object). */
  readonly events: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** The top-level subject (RFC 9493, `sub_id`), when the SET has one. */
  readonly subId?: unknown;
}

/**
 * Verifies a pushed Security Event Token (RFC 8417, RFC 8935 §2): a JWS
 * `typ` `secevent+jwt` with an asymmetric algorithm, signed by a key of the
 * transmitter's JWK Set, `iss` the configured issuer, `aud` containing the
 * receiver's audience, `iat` within `maxAge` (not in the future), a `jti`
 * not seen before, an `events` object. `exp` is not required (SETs have
 * none, RFC 8417 §2.2), refused when present and past.
 * @internal
 */
@Injectable()
export class SecurityEventTokenVerifier implements OnModuleInit {
  private readonly replays: SecurityEventReplayCache;

  constructor(
    private readonly keySets: RemoteKeySetsService,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
    @Inject(INTROSPECTION_CLOCK) private readonly clock: Clock,
  ) {
    this.replays = new SecurityEventReplayCache(clock);
  }

  /** Loads jose at boot when the receiver is configured, so that a runtime that cannot load it fails there. */
  async onModuleInit(): Promise<void> {
    if (this.options.securityEvents) {
      await loadJose(FEATURE);
    }
  }

  /**
   * Checks `jwt` and claims its `jti`.
   * @throws SecurityEventError for a SET that is refused (400)
   * @throws IntrospectionUnavailableError when the transmitter's keys cannot be fetched (503)
   */
  async verify(jwt: string): Promise<VerifiedSecurityEventToken> {
    const config = this.config;
    if (!JWS_COMPACT.test(jwt)) {
      throw new SecurityEventError(
        'invalid_request',
        'The body is not a signed JWT (JWS compact serialization).',
      );
    }
    const { compactVerify, decodeProtectedHeader, errors } = await loadJose(FEATURE);
    const header = parseHeader(() => decodeProtectedHeader(jwt));
    if (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== SECURITY_EVENT_TYP) {
      throw new SecurityEventError(
        'invalid_request',
        `The JWT's "typ" header is not "${SECURITY_EVENT_TYP}".`,
      );
    }
    if (header.crit !== undefined) {
      throw new SecurityEventError('invalid_request', 'The JWT has a "crit" header, which is not supported.');
    }
    if (typeof header.alg !== 'string' || !SECURITY_EVENT_ALGORITHMS.includes(header.alg)) {
      throw new SecurityEventError(
        'invalid_key',
        `The SET is not signed with an accepted asymmetric algorithm (${SECURITY_EVENT_ALGORITHMS.join(', ')}).`,
      );
    }
    // Issuer and audience first, from the unverified payload: the transmitter
    // learns which rule it broke; nothing is acted on before the signature checks out.
    const claims = parsePayload(jwt);
    if (claims.iss !== config.issuer) {
      throw new SecurityEventError(
        'invalid_issuer',
        'The SET\'s "iss" is not the configured transmitter issuer.',
      );
    }
    if (!audienceMatches(claims.aud, config.audience)) {
      throw new SecurityEventError('invalid_audience', 'The SET\'s "aud" does not name this receiver.');
    }
    try {
      await compactVerify(jwt, await this.keySets.get(config.jwksUri, FEATURE), {
        algorithms: SECURITY_EVENT_ALGORITHMS,
      });
    } catch (error) {
      if (error instanceof errors.JWSInvalid) {
        throw new SecurityEventError('invalid_request', 'The body is not a valid JWS.');
      }
      if (isKeySetUnavailable(error, errors)) {
        throw keySetUnavailable(config.jwksUri);
      }
      throw new SecurityEventError(
        'invalid_key',
        "The SET's signature does not verify with a key of the transmitter's JWK Set.",
      );
    }
    return this.checkClaims(claims, config);
  }

  /**
   * Forgets the `jti` of a SET that was verified but not applied, so that
   * the transmitter's retry is accepted.
   */
  release(jti: string): void {
    this.replays.release(jti);
  }

  private get config(): ResolvedSecurityEventsOptions {
    return this.options.securityEvents!;
  }

  private checkClaims(
    claims: Record<string, unknown>,
    config: ResolvedSecurityEventsOptions,
  ): VerifiedSecurityEventToken {
    const now = this.clock.now();
    const tolerance = this.options.clockToleranceMs;
    const { iat, jti, events, exp } = claims;
    if (typeof iat !== 'number' || !Number.isFinite(iat)) {
      throw new SecurityEventError('invalid_request', 'The SET has no numeric "iat".');
    }
    if (iat * 1000 > now + tolerance) {
      throw new SecurityEventError('invalid_request', 'The SET\'s "iat" is in the future.');
    }
    if (iat * 1000 < now - config.maxAgeMs - tolerance) {
      throw new SecurityEventError(
        'invalid_request',
        `The SET is older than ${config.maxAgeMs / 1000}s ("iat").`,
      );
    }
    if (exp !== undefined && (typeof exp !== 'number' || exp * 1000 <= now - tolerance)) {
      throw new SecurityEventError('invalid_request', 'The SET has expired ("exp").');
    }
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
      throw new SecurityEventError(
        'invalid_request',
        `The SET has no "jti" of 1 to ${MAX_JTI_LENGTH} characters.`,
      );
    }
    if (!isObject(events)) {
      throw new SecurityEventError('invalid_request', 'The SET has no "events" object (RFC 8417 §2.2).');
    }
    const entries = Object.entries(events);
    if (entries.length === 0 || entries.length > MAX_EVENTS_PER_SET) {
      throw new SecurityEventError(
        'invalid_request',
        `The SET's "events" must hold 1 to ${MAX_EVENTS_PER_SET} events.`,
      );
    }
    if (!entries.every(([, payload]) => isObject(payload))) {
      throw new SecurityEventError('invalid_request', 'Each event of "events" must be a JSON object.');
    }
    if (claims.sub_id !== undefined && !isObject(claims.sub_id)) {
      throw new SecurityEventError(
        'invalid_request',
        'The SET\'s "sub_id" is not a subject identifier object.',
      );
    }
    // Remembered as long as the SET could be accepted, tolerance included.
    if (!this.replays.claim(jti, iat * 1000 + config.maxAgeMs + 2 * tolerance)) {
      throw new SecurityEventError('invalid_request', 'The SET was received already ("jti").');
    }
    return {
      jti,
      iat,
      events: events as VerifiedSecurityEventToken['events'],
      ...(claims.sub_id === undefined ? {} : { subId: claims.sub_id }),
    };
  }
}

function parseHeader<T>(decode: () => T): T {
  try {
    return decode();
  } catch {
    throw new SecurityEventError('invalid_request', 'The JWT header is not a JSON object.');
  }
}

function parsePayload(jwt: string): Record<string, unknown> {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
  } catch {
    throw new SecurityEventError('invalid_request', 'The JWT payload is not JSON.');
  }
  if (!isObject(payload)) {
    throw new SecurityEventError('invalid_request', 'The JWT payload is not a JSON object.');
  }
  return payload;
}

function audienceMatches(aud: unknown, audience: readonly string[]): boolean {
  const values = Array.isArray(aud) ? (aud as unknown[]) : [aud];
  return values.some((value) => typeof value === 'string' && audience.includes(value));
}

/** A JSON object: not null, not an array. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
