import {
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
  optionalHttpUrl,
  optionalString,
  positiveInteger,
  requiredString,
} from './option-values';
import { resolveJwtSigningProfile } from './resolve-jwt-signing-profile';

const DEFAULT_TIMEOUT = '5s';
const DEFAULT_CLOCK_TOLERANCE = '5s';

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

  const timeoutMs = duration(o.timeout ?? DEFAULT_TIMEOUT, 'timeout');
  if (timeoutMs <= 0) {
    throw new IntrospectionConfigurationError('timeout', 'must be a positive duration, e.g. "5s".');
  }
  const clockToleranceMs = duration(o.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE, 'clockTolerance');
  if (clockToleranceMs < 0) {
    throw new IntrospectionConfigurationError('clockTolerance', 'must not be negative.');
  }

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
    // Couper's semantics: absent or non-positive means "do not cache".
    ttlMs: Math.max(0, o.ttl === undefined ? 0 : duration(o.ttl, 'ttl')),
    tokenTypeHint: optionalString(o.tokenTypeHint, 'tokenTypeHint') ?? DEFAULT_TOKEN_TYPE_HINT,
    timeoutMs,
    clockToleranceMs,
    realm: realm(o.realm),
    audience: audience(o.audience),
    allowMissingTokenType: boolean(o.allowMissingTokenType, 'allowMissingTokenType', false),
    maxTokenLength: positiveInteger(o.maxTokenLength, 'maxTokenLength', DEFAULT_MAX_TOKEN_LENGTH),
    maxResponseBytes: positiveInteger(o.maxResponseBytes, 'maxResponseBytes', DEFAULT_MAX_RESPONSE_BYTES),
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
