import { createPrivateKey, createSecretKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import {
  DEFAULT_ENDPOINT_AUTH_METHOD,
  DEFAULT_MAX_TOKEN_LENGTH,
  DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD,
  DEFAULT_TOKEN_TYPE_HINT,
} from '../introspection.constants';
import { isHmacAlgorithm, SIGNING_ALGORITHMS } from '../client-auth/signing-algorithms';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type {
  Duration,
  IntrospectionModuleOptions,
  JwtSigningAlgorithm,
  JwtAccessTokenOptions,
  ResolvedIntrospectionOptions,
  ResolvedJwtAccessTokenOptions,
} from '../interfaces/introspection-options.interface';
import {
  boolean,
  duration,
  given,
  parseUrl,
  assertHttps,
  assertNoCredentialsNorFragment,
  httpsUrl,
  optionalFunction,
  optionalObject,
  optionalString,
  positiveInteger,
  requiredString,
} from './option-values';
import { assertNoMovedOptions } from './moved-options';
import { resolveBreakerOptions } from './resolve-breaker-options';
import { resolveCacheOptions } from './resolve-cache-options';
import { MAX_TIMER_MS, resolveTransportOptions } from './resolve-transport-options';
import { resolveDpopOptions } from './resolve-dpop-options';
import { resolveMtlsOptions } from './resolve-mtls-options';
import { resolvePublicUrl, resolveTrustProxy } from './resolve-request-origin-options';
import { resolveJwtSigningProfile } from './resolve-jwt-signing-profile';
import { resolveResourceOptions } from './resolve-resource-options';
import { resolveSecurityEventsOptions } from './resolve-security-events-options';
import { resolveTelemetryOptions } from './resolve-telemetry-options';

const DEFAULT_CLOCK_TOLERANCE = '5s';
const DEFAULT_DISCOVERY_REFRESH_INTERVAL = '1h';
const DEFAULT_JWT_ALGORITHMS = ['RS256'];
const DEFAULT_JWT_TYPES = ['at+jwt', 'JWT'];
/** Parameters the module sends itself; `requestParams` may not replace them. */
const RESERVED_PARAMS = new Set([
  'token',
  'token_type_hint',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
]);
/** Client authentication methods that send credentials as form parameters (RFC 6749 §2.3.1, RFC 7523 §2.2). */
const BODY_CREDENTIAL_METHODS = new Set(['client_secret_post', 'client_secret_jwt', 'private_key_jwt']);
/** Headers the module (or a client authentication strategy) sets itself. */
const RESERVED_HEADERS = new Set(['authorization', 'content-type', 'content-length', 'accept', 'host']);
/** Larger tolerances keep expired tokens alive; clocks that far apart need fixing, not tolerating. */
const MAX_CLOCK_TOLERANCE_MS = 5 * 60_000;
/**
 * Asymmetric JWS algorithms jose verifies: those a client assertion can be
 * signed with (RFC 7518, RFC 8037), without HMAC, plus the verification-only
 * Ed25519 (RFC 9864) and ML-DSA.
 */
const KNOWN_ALGORITHMS = new Set([
  ...(Object.keys(SIGNING_ALGORITHMS) as JwtSigningAlgorithm[]).filter((alg) => !isHmacAlgorithm(alg)),
  'Ed25519',
  'ML-DSA-44',
  'ML-DSA-65',
  'ML-DSA-87',
]);

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

  assertNoMovedOptions(o);
  const transport = resolveTransportOptions(o.transport);
  const { timeoutMs, allowInsecureHttp } = transport;
  const cache = resolveCacheOptions(o.cache);
  const breaker = resolveBreakerOptions(o.breaker);
  const clockToleranceMs = duration(given(o.clockTolerance) ?? DEFAULT_CLOCK_TOLERANCE, 'clockTolerance');
  if (clockToleranceMs < 0 || clockToleranceMs > MAX_CLOCK_TOLERANCE_MS) {
    throw new IntrospectionConfigurationError(
      'clockTolerance',
      'must be between 0 and 5m: a larger tolerance stretches every expiry and hides a clock that is wrong.',
    );
  }

  const issuer = issuerIdentifier(o.issuer);
  const endpoint =
    given(o.endpoint) === undefined && issuer ? undefined : endpointUrl(o.endpoint, allowInsecureHttp);
  const responseFormat = oneOf(o.responseFormat, 'responseFormat', ['json', 'jwt'] as const, 'json');
  const jwt = jwtAccessTokenOptions(o.jwt);
  const jwksUri = optionalUrl(o.jwksUri, 'jwksUri');
  for (const [option, href] of [
    ['issuer', issuer],
    ['jwksUri', jwksUri],
    ['jwt.jwksUri', jwt?.jwksUri],
  ] as const) {
    if (href !== undefined) {
      assertHttps(href, option, allowInsecureHttp);
    }
  }
  if ((responseFormat === 'jwt' || jwt) && !issuer) {
    throw new IntrospectionConfigurationError(
      'issuer',
      `is required with ${jwt ? 'jwt' : 'responseFormat "jwt"'}: JWTs are checked against it (iss).`,
    );
  }
  const jwksMissing =
    (responseFormat === 'jwt' && !jwksUri) || (jwt !== undefined && !jwt.jwksUri && !jwksUri);
  const discoveryRefreshIntervalMs = duration(
    given(o.discoveryRefreshInterval) ?? DEFAULT_DISCOVERY_REFRESH_INTERVAL,
    'discoveryRefreshInterval',
  );
  if (discoveryRefreshIntervalMs < 1000 || discoveryRefreshIntervalMs > MAX_TIMER_MS) {
    throw new IntrospectionConfigurationError(
      'discoveryRefreshInterval',
      'must be a duration between 1s and 596h, e.g. "1h".',
    );
  }

  const method = oneOf(o.method, 'method', ['POST', 'GET'] as const, 'POST');
  const endpointAuthMethod =
    optionalString(o.endpointAuthMethod, 'endpointAuthMethod') ?? DEFAULT_ENDPOINT_AUTH_METHOD;
  if (method === 'GET' && BODY_CREDENTIAL_METHODS.has(endpointAuthMethod)) {
    // A GET has no body: these credentials would land in the URL, and in every access log.
    throw new IntrospectionConfigurationError(
      'method',
      `"GET" cannot be combined with endpointAuthMethod "${endpointAuthMethod}", whose credentials would travel in the query string; use POST or client_secret_basic.`,
    );
  }

  const trustProxy = resolveTrustProxy(o.trustProxy);
  const dpop = resolveDpopOptions(o.dpop);
  const publicUrl = resolvePublicUrl(o.publicUrl);
  if (dpop.mode === 'required' && publicUrl === undefined && trustProxy.length === 0) {
    // Every request would fail: a proof's htu is never checked against Host alone.
    throw new IntrospectionConfigurationError(
      'publicUrl',
      'is required with dpop.mode "required" (unless trustProxy names the proxy whose X-Forwarded-Host is read): DPoP proofs are checked against it (htu).',
    );
  }

  const requestParams = stringRecord(o.requestParams, 'requestParams', (name) => RESERVED_PARAMS.has(name));
  const clientId = requiredString(o.clientId, 'clientId');
  const securityEvents = resolveSecurityEventsOptions(o.securityEvents, { allowInsecureHttp, clientId });
  return {
    endpoint,
    issuer,
    // RFC 8414: what is not configured is read from the server's metadata.
    discovery: issuer !== undefined && (endpoint === undefined || jwksMissing),
    discoveryRetry: boolean(o.discoveryRetry, 'discoveryRetry', false),
    discoveryRefreshIntervalMs,
    jwksUri,
    responseFormat,
    responseSigningAlgorithms: algorithms(o.responseSigningAlgorithms, 'responseSigningAlgorithms'),
    responseMaxAgeMs: responseMaxAge(o.responseMaxAge, timeoutMs),
    jwtResponseValidator: optionalFunction(o.jwtResponseValidator, 'jwtResponseValidator'),
    responseDecryptionKey: decryptionKey(o.responseDecryptionKey),
    method,
    requestHeaders: stringRecord(o.requestHeaders, 'requestHeaders', (name) =>
      RESERVED_HEADERS.has(name.toLowerCase()),
    ),
    jwt,
    acceptOpaqueTokens: boolean(o.acceptOpaqueTokens, 'acceptOpaqueTokens', true),
    clientId,
    clientSecret: optionalString(o.clientSecret, 'clientSecret', { secret: true }),
    endpointAuthMethod,
    jwtSigningProfile: resolveJwtSigningProfile(o.jwtSigningProfile),
    bearerToken: optionalString(o.bearerToken, 'bearerToken', { secret: true }),
    tokenEndpoint: httpsUrl(o.tokenEndpoint, 'tokenEndpoint', allowInsecureHttp),
    tokenEndpointAuthMethod:
      optionalString(o.tokenEndpointAuthMethod, 'tokenEndpointAuthMethod') ??
      DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD,
    tokenScope: optionalString(o.tokenScope, 'tokenScope'),
    tokenTypeHint: optionalString(o.tokenTypeHint, 'tokenTypeHint') ?? DEFAULT_TOKEN_TYPE_HINT,
    clockToleranceMs,
    realm: realm(o.realm),
    audience: audience(o.audience),
    allowMissingTokenType: boolean(o.allowMissingTokenType, 'allowMissingTokenType', false),
    maxTokenLength: positiveInteger(o.maxTokenLength, 'maxTokenLength', DEFAULT_MAX_TOKEN_LENGTH),
    wsAuthPayloadField: optionalString(o.wsAuthPayloadField, 'wsAuthPayloadField'),
    rpcAuthorizationExtractor: optionalFunction(o.rpcAuthorizationExtractor, 'rpcAuthorizationExtractor'),
    ...transport,
    ...cache,
    ...breaker,
    telemetry: resolveTelemetryOptions(o.telemetry),
    // requestParams too: with sendResource, `resource` joins them.
    ...resolveResourceOptions(o, { issuer, requestParams }),
    dpop,
    mtls: resolveMtlsOptions(o.mtls, trustProxy),
    publicUrl,
    trustProxy,
    // Left out when unset, rather than undefined: its absence is what "not mounted" means.
    ...(securityEvents && { securityEvents }),
  };
}

function endpointUrl(value: unknown, allowInsecureHttp: boolean): string {
  const url = httpsUrl(value, 'endpoint', allowInsecureHttp);
  if (url === undefined) {
    throw new IntrospectionConfigurationError(
      'endpoint',
      "is required: set it to the URL of the authorization server's introspection endpoint (env INTROSPECTION_ENDPOINT), or set issuer to discover it.",
    );
  }
  return url;
}

function issuerIdentifier(value: unknown): string | undefined {
  const text = optionalUrl(value, 'issuer');
  // RFC 8414 §2: an https URL without query or fragment (http allowed for development).
  if (text !== undefined && (text.includes('?') || text.includes('#'))) {
    throw new IntrospectionConfigurationError(
      'issuer',
      'must not contain a query or a fragment (RFC 8414 §2).',
    );
  }
  return text;
}

function httpUrl(text: string, option: string): URL {
  const url = parseUrl(text, option);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new IntrospectionConfigurationError(option, `must be an http(s) URL, not "${url.protocol}".`);
  }
  return url;
}

function optionalUrl(value: unknown, option: string): string | undefined {
  const text = optionalString(value, option);
  if (text === undefined) {
    return undefined;
  }
  assertNoCredentialsNorFragment(httpUrl(text, option), text, option);
  // Kept as given: an issuer is compared character for character (RFC 8414 §3.3).
  return text;
}

function oneOf<T extends string>(value: unknown, option: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === null || value === '') {
    return fallback;
  }
  if (!allowed.includes(value as T)) {
    throw new IntrospectionConfigurationError(
      option,
      `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}.`,
    );
  }
  return value as T;
}

function stringRecord(
  value: unknown,
  option: string,
  reserved: (name: string) => boolean,
): Record<string, string> {
  if (value === undefined || value === null) {
    return {};
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new IntrospectionConfigurationError(option, 'must be an object of string values.');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [name, entry] of entries) {
    if (typeof entry !== 'string') {
      throw new IntrospectionConfigurationError(option, `"${name}" must be a string.`);
    }
    if (reserved(name)) {
      throw new IntrospectionConfigurationError(
        option,
        `"${name}" is set by the module itself and cannot be replaced.`,
      );
    }
  }
  if (option === 'requestHeaders') {
    for (const [name, entry] of entries as [string, string][]) {
      // RFC 9110 §5.1/§5.5: a token name, and a value without CR, LF or NUL.
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n\0]/.test(entry)) {
        throw new IntrospectionConfigurationError(option, `"${name}" is not a valid header.`);
      }
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/** JWS algorithms allowed for verification: never `none`, never HMAC (RFC 8725 §3.1, §3.2). */
function algorithms(value: unknown, option: string): string[] | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  const values = Array.isArray(value) ? (value as unknown[]) : [value];
  if (values.length === 0 || !values.every((v): v is string => typeof v === 'string' && v.length > 0)) {
    throw new IntrospectionConfigurationError(option, 'must be a non-empty list of JWS algorithm names.');
  }
  for (const alg of values) {
    if (alg.toLowerCase() === 'none' || /^HS\d+$/i.test(alg)) {
      throw new IntrospectionConfigurationError(
        option,
        `"${alg}" is not allowed: only asymmetric algorithms are verified (RFC 8725 §3.1, §3.2).`,
      );
    }
    if (!KNOWN_ALGORITHMS.has(alg)) {
      // A misspelt name would boot and then refuse every valid JWT.
      throw new IntrospectionConfigurationError(
        option,
        `"${alg}" is not a known JWS algorithm; use one of ${[...KNOWN_ALGORITHMS].join(', ')}.`,
      );
    }
  }
  return values;
}

function responseMaxAge(value: unknown, timeoutMs: number): number {
  if (value === undefined || value === null || value === '') {
    return timeoutMs;
  }
  const ms = duration(value as Duration, 'responseMaxAge');
  if (ms <= 0) {
    throw new IntrospectionConfigurationError('responseMaxAge', 'must be a positive duration, e.g. "30s".');
  }
  return ms;
}

function jwtAccessTokenOptions(value: unknown): ResolvedJwtAccessTokenOptions | undefined {
  const jwt = optionalObject(
    value,
    'jwt',
    'must be an object such as { audience: "https://api.example.com" }.',
  ) as JwtAccessTokenOptions | undefined;
  if (jwt === undefined) {
    return undefined;
  }
  const jwtAudience = audience(jwt.audience, 'jwt.audience');
  if (jwtAudience.length === 0) {
    throw new IntrospectionConfigurationError(
      'jwt.audience',
      'is required: the audience of this API in JWT access tokens.',
    );
  }
  const types = jwt.types ?? DEFAULT_JWT_TYPES;
  if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === 'string' && t)) {
    throw new IntrospectionConfigurationError('jwt.types', 'must be a non-empty list of strings.');
  }
  return {
    audience: jwtAudience,
    algorithms: algorithms(jwt.algorithms, 'jwt.algorithms') ?? DEFAULT_JWT_ALGORITHMS,
    jwksUri: optionalUrl(jwt.jwksUri, 'jwt.jwksUri'),
    types,
  };
}

function decryptionKey(value: unknown): KeyObject | undefined {
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  try {
    if (typeof value === 'object' && (value as JsonWebKey).kty === 'oct') {
      return createSecretKey(Buffer.from(String((value as JsonWebKey).k), 'base64url'));
    }
    const key =
      typeof value === 'string'
        ? createPrivateKey(value)
        : createPrivateKey({ key: value as JsonWebKey, format: 'jwk' });
    return key;
  } catch {
    // The cause is dropped: it could quote the key material.
    throw new IntrospectionConfigurationError(
      'responseDecryptionKey',
      'is not a private key: give a PEM (PKCS#8 or PKCS#1) or a private JWK.',
    );
  }
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

function audience(value: unknown, option = 'audience'): string[] {
  if (value === undefined || value === null) {
    return [];
  }
  const values = Array.isArray(value) ? (value as unknown[]) : [value];
  if (!values.every((v): v is string => typeof v === 'string' && v.trim().length > 0)) {
    throw new IntrospectionConfigurationError(option, 'must be a non-empty string or an array of them.');
  }
  if (values.length === 0) {
    // An empty list would silently turn the audience check off.
    throw new IntrospectionConfigurationError(
      option,
      option === 'audience'
        ? 'lists no audience; name at least one, or leave it unset to accept any audience.'
        : 'lists no audience; name at least one.',
    );
  }
  return values;
}
