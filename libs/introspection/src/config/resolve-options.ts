import type { Cache } from 'cache-manager';
import type { Keyv } from 'keyv';
import {
  DEFAULT_CACHE_MAX_ENTRIES,
  DEFAULT_ENDPOINT_AUTH_METHOD,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MAX_TOKEN_LENGTH,
  DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD,
  DEFAULT_TOKEN_TYPE_HINT,
} from '../introspection.constants';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type {
  IntrospectionModuleOptions,
  IntrospectionTlsOptions,
  ResolvedIntrospectionOptions,
} from '../interfaces/introspection-options.interface';
import {
  boolean,
  duration,
  httpsUrl,
  optionalString,
  positiveInteger,
  requiredString,
  wholeNumber,
} from './option-values';
import { resolveJwtSigningProfile } from './resolve-jwt-signing-profile';

const DEFAULT_TIMEOUT = '5s';
const DEFAULT_NEGATIVE_TTL = '10s';
const DEFAULT_CACHE_TIMEOUT = '100ms';
const DEFAULT_CLOCK_TOLERANCE = '5s';
const DEFAULT_RETRIES = 1;
const DEFAULT_RETRY_BACKOFF = '100ms';
const DEFAULT_CIRCUIT_BREAKER_THRESHOLD = 5;
const DEFAULT_CIRCUIT_BREAKER_COOLDOWN = '10s';
/** More retries than this would only pile load on a struggling server. */
const MAX_RETRIES = 5;
/** The longest delay setTimeout honours (2^31 - 1 ms); Node turns longer ones into 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Validates module options and applies defaults. Called once at boot by the
 * module, whichever `forRoot*` form supplied the options: async factories
 * bypass the type checker, so every value is checked at run time here.
 *
 * @throws IntrospectionConfigurationError naming the first bad option
 */
export function resolveIntrospectionOptions(options: unknown): ResolvedIntrospectionOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new IntrospectionConfigurationError(
      'options',
      'expected an options object; check what your forRootAsync factory returns.',
    );
  }
  const o = options as IntrospectionModuleOptions;

  const timeoutMs = duration(given(o.timeout) ?? DEFAULT_TIMEOUT, 'timeout');
  if (timeoutMs <= 0 || timeoutMs > MAX_TIMER_MS) {
    throw new IntrospectionConfigurationError(
      'timeout',
      'must be a positive duration of at most 596h (what a timer can hold), e.g. "5s".',
    );
  }
  const clockToleranceMs = duration(given(o.clockTolerance) ?? DEFAULT_CLOCK_TOLERANCE, 'clockTolerance');
  if (clockToleranceMs < 0) {
    throw new IntrospectionConfigurationError('clockTolerance', 'must not be negative.');
  }

  const cacheTimeoutMs = duration(given(o.cacheTimeout) ?? DEFAULT_CACHE_TIMEOUT, 'cacheTimeout');
  if (cacheTimeoutMs <= 0 || cacheTimeoutMs > MAX_TIMER_MS) {
    throw new IntrospectionConfigurationError('cacheTimeout', 'must be a positive duration, e.g. "100ms".');
  }
  // Couper's semantics: absent or non-positive means "do not cache".
  const ttlMs = Math.max(0, duration(given(o.ttl) ?? 0, 'ttl'));

  const retries = wholeNumber(o.retries, 'retries', DEFAULT_RETRIES);
  if (retries > MAX_RETRIES) {
    throw new IntrospectionConfigurationError('retries', `must be at most ${MAX_RETRIES}.`);
  }
  const retryBackoffMs = duration(given(o.retryBackoff) ?? DEFAULT_RETRY_BACKOFF, 'retryBackoff');
  if (retryBackoffMs < 0 || retryBackoffMs > MAX_TIMER_MS) {
    throw new IntrospectionConfigurationError(
      'retryBackoff',
      'must be a duration of at least 0, e.g. "100ms".',
    );
  }
  const circuitBreakerCooldownMs = duration(
    given(o.circuitBreakerCooldown) ?? DEFAULT_CIRCUIT_BREAKER_COOLDOWN,
    'circuitBreakerCooldown',
  );
  if (circuitBreakerCooldownMs <= 0 || circuitBreakerCooldownMs > MAX_TIMER_MS) {
    throw new IntrospectionConfigurationError(
      'circuitBreakerCooldown',
      'must be a positive duration, e.g. "10s".',
    );
  }
  const staleIfErrorMs = duration(given(o.staleIfError) ?? 0, 'staleIfError');
  if (staleIfErrorMs < 0 || staleIfErrorMs > MAX_TIMER_MS) {
    throw new IntrospectionConfigurationError('staleIfError', 'must be a duration of at least 0, e.g. "5m".');
  }
  if (staleIfErrorMs > 0 && ttlMs === 0) {
    throw new IntrospectionConfigurationError(
      'staleIfError',
      'needs the cache: set ttl too (stale answers are cached answers kept past ttl).',
    );
  }
  const allowInsecureHttp = boolean(o.allowInsecureHttp, 'allowInsecureHttp', false);

  return {
    endpoint: endpointUrl(o.endpoint, allowInsecureHttp),
    issuer: optionalString(o.issuer, 'issuer'),
    clientId: requiredString(o.clientId, 'clientId'),
    clientSecret: optionalString(o.clientSecret, 'clientSecret', { secret: true }),
    endpointAuthMethod:
      optionalString(o.endpointAuthMethod, 'endpointAuthMethod') ?? DEFAULT_ENDPOINT_AUTH_METHOD,
    jwtSigningProfile: resolveJwtSigningProfile(o.jwtSigningProfile),
    bearerToken: optionalString(o.bearerToken, 'bearerToken', { secret: true }),
    tokenEndpoint: httpsUrl(o.tokenEndpoint, 'tokenEndpoint', allowInsecureHttp),
    tokenEndpointAuthMethod:
      optionalString(o.tokenEndpointAuthMethod, 'tokenEndpointAuthMethod') ??
      DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD,
    tokenScope: optionalString(o.tokenScope, 'tokenScope'),
    ttlMs,
    negativeTtlMs: Math.min(
      ttlMs,
      Math.max(0, duration(given(o.negativeTtl) ?? DEFAULT_NEGATIVE_TTL, 'negativeTtl')),
    ),
    cacheMaxEntries: positiveInteger(o.cacheMaxEntries, 'cacheMaxEntries', DEFAULT_CACHE_MAX_ENTRIES),
    cacheUrl: redisUrl(o.cacheUrl),
    cache: userCache(o.cache),
    cacheTimeoutMs,
    tokenTypeHint: optionalString(o.tokenTypeHint, 'tokenTypeHint') ?? DEFAULT_TOKEN_TYPE_HINT,
    timeoutMs,
    clockToleranceMs,
    realm: realm(o.realm),
    audience: audience(o.audience),
    allowMissingTokenType: boolean(o.allowMissingTokenType, 'allowMissingTokenType', false),
    maxTokenLength: positiveInteger(o.maxTokenLength, 'maxTokenLength', DEFAULT_MAX_TOKEN_LENGTH),
    maxResponseBytes: positiveInteger(o.maxResponseBytes, 'maxResponseBytes', DEFAULT_MAX_RESPONSE_BYTES),
    allowInsecureHttp,
    tls: tlsOptions(o.tls),
    retries,
    retryBackoffMs,
    circuitBreakerThreshold: wholeNumber(
      o.circuitBreakerThreshold,
      'circuitBreakerThreshold',
      DEFAULT_CIRCUIT_BREAKER_THRESHOLD,
    ),
    circuitBreakerCooldownMs,
    staleIfErrorMs,
  };
}

function endpointUrl(value: unknown, allowInsecureHttp: boolean): string {
  const url = httpsUrl(value, 'endpoint', allowInsecureHttp);
  if (url === undefined) {
    throw new IntrospectionConfigurationError(
      'endpoint',
      "is required: set it to the URL of the authorization server's introspection endpoint (env INTROSPECTION_ENDPOINT).",
    );
  }
  return url;
}

function redisUrl(value: unknown): string | undefined {
  const text = optionalString(value, 'cacheUrl');
  if (text === undefined) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new IntrospectionConfigurationError(
      'cacheUrl',
      'is not a valid URL; use e.g. "redis://127.0.0.1:6379".',
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new IntrospectionConfigurationError('cacheUrl', 'must be a redis:// or rediss:// URL.');
  }
  if (!url.hostname) {
    throw new IntrospectionConfigurationError(
      'cacheUrl',
      'must name the Redis host, e.g. "redis://127.0.0.1:6379".',
    );
  }
  return text;
}

function userCache(value: unknown): Cache | Keyv | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  const candidate = value as Partial<Record<'get' | 'set' | 'delete' | 'del', unknown>>;
  const isCacheManager =
    typeof candidate.get === 'function' &&
    typeof candidate.set === 'function' &&
    typeof candidate.del === 'function';
  const isKeyv =
    typeof candidate.get === 'function' &&
    typeof candidate.set === 'function' &&
    typeof candidate.delete === 'function';
  if (!isCacheManager && !isKeyv) {
    throw new IntrospectionConfigurationError(
      'cache',
      'must be a cache-manager Cache (createCache()) or a Keyv instance.',
    );
  }
  return value as Cache | Keyv;
}

/** The value, or `undefined` when it is unset (`undefined`, `null` or `''`), as for every option. */
function given<T>(value: T | null | undefined | ''): T | undefined {
  return value === undefined || value === null || value === '' ? undefined : value;
}

function realm(value: unknown): string | undefined {
  const result = optionalString(value, 'realm');
  // RFC 7235 §2.2: realm is a quoted-string; refuse what we would have to escape.
  if (result !== undefined && !/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/.test(result)) {
    throw new IntrospectionConfigurationError(
      'realm',
      'may contain printable ASCII only, without double quotes or backslashes.',
    );
  }
  return result;
}

function audience(value: unknown): string[] {
  if (value === undefined || value === null) {
    return [];
  }
  const values = Array.isArray(value) ? value : [value];
  if (!values.every((v): v is string => typeof v === 'string' && v.length > 0)) {
    throw new IntrospectionConfigurationError('audience', 'must be a non-empty string or an array of them.');
  }
  return values;
}

function tlsOptions(value: unknown): IntrospectionTlsOptions | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new IntrospectionConfigurationError('tls', 'must be an object with ca, cert, key and passphrase.');
  }
  const tls = value as Record<string, unknown>;
  const pem = (item: unknown): boolean => typeof item === 'string' || Buffer.isBuffer(item);
  for (const member of Object.keys(tls)) {
    const item = tls[member];
    if (item === undefined) {
      continue;
    }
    const valid =
      member === 'ca'
        ? pem(item) || (Array.isArray(item) && item.every((entry) => pem(entry)))
        : member === 'cert' || member === 'key'
          ? pem(item)
          : member === 'passphrase'
            ? typeof item === 'string'
            : undefined;
    if (valid === undefined) {
      throw new IntrospectionConfigurationError(
        'tls',
        `has an unknown member "${member}"; use ca, cert, key and passphrase.`,
      );
    }
    if (!valid) {
      // Never the value: it may be a key or passphrase.
      throw new IntrospectionConfigurationError(
        `tls.${member}`,
        member === 'passphrase' ? 'must be a string.' : 'must be PEM text or a Buffer.',
      );
    }
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new IntrospectionConfigurationError(
      'tls',
      'cert and key go together: set both for mutual TLS, or neither.',
    );
  }
  return tls;
}
