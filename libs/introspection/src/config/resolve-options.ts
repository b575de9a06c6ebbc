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
  ResolvedIntrospectionOptions,
} from '../interfaces/introspection-options.interface';
import {
  boolean,
  duration,
  optionalFunction,
  optionalHttpUrl,
  optionalString,
  positiveInteger,
  requiredString,
} from './option-values';
import { resolveJwtSigningProfile } from './resolve-jwt-signing-profile';

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
    jwtSigningProfile: resolveJwtSigningProfile(o.jwtSigningProfile),
    bearerToken: optionalString(o.bearerToken, 'bearerToken', { secret: true }),
    tokenEndpoint: optionalHttpUrl(o.tokenEndpoint, 'tokenEndpoint'),
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
    wsAuthPayloadField: optionalString(o.wsAuthPayloadField, 'wsAuthPayloadField'),
    rpcAuthorizationExtractor: optionalFunction(o.rpcAuthorizationExtractor, 'rpcAuthorizationExtractor'),
  };
}

function endpointUrl(value: unknown): string {
  const url = optionalHttpUrl(value, 'endpoint');
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
