import type { Cache } from 'cache-manager';
import type { Keyv } from 'keyv';
import {
  DEFAULT_CACHE_MAX_ENTRIES,
  DEFAULT_ENDPOINT_AUTH_METHOD,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MAX_TOKEN_LENGTH,
  DEFAULT_TOKEN_TYPE_HINT,
} from '../introspection.constants';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type {
  Duration,
  IntrospectionModuleOptions,
  ResolvedIntrospectionOptions,
} from '../interfaces/introspection-options.interface';
import { parseDuration } from './duration';

const DEFAULT_TIMEOUT = '5s';
const DEFAULT_NEGATIVE_TTL = '10s';
const DEFAULT_CACHE_TIMEOUT = '100ms';
const DEFAULT_CLOCK_TOLERANCE = '5s';
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

  return {
    endpoint: endpointUrl(o.endpoint),
    issuer: optionalString(o.issuer, 'issuer'),
    clientId: requiredString(o.clientId, 'clientId'),
    clientSecret: optionalString(o.clientSecret, 'clientSecret', { secret: true }),
    endpointAuthMethod:
      optionalString(o.endpointAuthMethod, 'endpointAuthMethod') ?? DEFAULT_ENDPOINT_AUTH_METHOD,
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
    wsAuthPayloadField: optionalString(o.wsAuthPayloadField, 'wsAuthPayloadField'),
    rpcAuthorizationExtractor: optionalFunction(o.rpcAuthorizationExtractor, 'rpcAuthorizationExtractor'),
  };
}

function endpointUrl(value: unknown): string {
  if (value === undefined || value === null || value === '') {
    throw new IntrospectionConfigurationError(
      'endpoint',
      "is required: set it to the URL of the authorization server's introspection endpoint (env INTROSPECTION_ENDPOINT).",
    );
  }
  if (typeof value !== 'string') {
    throw new IntrospectionConfigurationError('endpoint', 'must be a URL string.');
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new IntrospectionConfigurationError('endpoint', 'is not a valid absolute URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new IntrospectionConfigurationError('endpoint', `must be an http(s) URL, not "${url.protocol}".`);
  }
  if (url.username || url.password) {
    // Credentials in the URL would travel in every request and could end up in logs.
    throw new IntrospectionConfigurationError(
      'endpoint',
      'must not contain credentials; use clientId and clientSecret instead.',
    );
  }
  if (value.includes('#')) {
    throw new IntrospectionConfigurationError('endpoint', 'must not contain a fragment (RFC 6749 §3.2).');
  }
  return url.href;
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

function duration(value: Duration, option: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) {
    const shown = typeof value === 'string' ? `"${value}"` : typeof value;
    throw new IntrospectionConfigurationError(
      option,
      `${shown} is not a duration; use a number of seconds or a string such as "500ms", "90s" or "1m30s".`,
    );
  }
  return ms;
}

function requiredString(value: unknown, option: string): string {
  const result = optionalString(value, option);
  if (result === undefined) {
    throw new IntrospectionConfigurationError(option, 'is required.');
  }
  return result;
}

function optionalString(value: unknown, option: string, { secret = false } = {}): string | undefined {
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new IntrospectionConfigurationError(
      option,
      secret ? 'must be a string.' : `must be a string, got ${typeof value}.`,
    );
  }
  return value;
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

function optionalFunction<T>(value: T | undefined | null, option: string): T | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'function') {
    throw new IntrospectionConfigurationError(option, `must be a function, got ${typeof value}.`);
  }
  return value;
}

function boolean(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined || value === null) {
    return fallback;
  }
  if (typeof value !== 'boolean') {
    throw new IntrospectionConfigurationError(option, 'must be true or false.');
  }
  return value;
}

function positiveInteger(value: unknown, option: string, fallback: number): number {
  if (value === undefined || value === null) {
    return fallback;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new IntrospectionConfigurationError(option, 'must be a positive whole number.');
  }
  return value;
}
