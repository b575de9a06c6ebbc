import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type { CacheCoalescing } from '../interfaces/cache-options.interface';
import type { DpopMode } from '../interfaces/dpop-options.interface';
import type { CertificateHeaderFormat } from '../interfaces/mtls-options.interface';
import type { IntrospectionTransportClient } from '../interfaces/transport-options.interface';
import type {
  IntrospectionModuleOptions,
  IntrospectionTlsOptions,
  JsonWebKeyInput,
  JwtSigningAlgorithm,
  JwtSigningProfile,
} from '../interfaces/introspection-options.interface';
import {
  INTROSPECTION_ENV_VARIABLES as ENV,
  INTROSPECTION_TLS_ENV_VARIABLES as TLS_ENV,
} from './environment-variables';

/** Environment variables as `process.env` holds them. */
export type IntrospectionEnv = Readonly<Record<string, string | undefined>>;

/**
 * Reads module options from environment variables (see
 * {@link INTROSPECTION_ENV_VARIABLES}). Pure: it reads only the object it is
 * given. Unset or empty variables are left out so the module defaults apply;
 * values are validated when the module boots.
 *
 * @example parseIntrospectionEnv(process.env)
 * @throws IntrospectionConfigurationError for a boolean, number or JWK that does not parse
 */
export function parseIntrospectionEnv(env: IntrospectionEnv): IntrospectionModuleOptions {
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const list = (option: keyof typeof ENV): string[] | undefined => listVariable(option, text(ENV[option]));
  const options: IntrospectionModuleOptions = {
    endpoint: text(ENV.endpoint),
    issuer: text(ENV.issuer),
    discoveryRetry: booleanVariable('discoveryRetry', text(ENV.discoveryRetry)),
    discoveryRefreshInterval: text(ENV.discoveryRefreshInterval),
    jwksUri: text(ENV.jwksUri),
    responseFormat: text(ENV.responseFormat) as IntrospectionModuleOptions['responseFormat'],
    responseSigningAlgorithms: list('responseSigningAlgorithms'),
    responseMaxAge: text(ENV.responseMaxAge),
    responseDecryptionKey: keyVariable('responseDecryptionKey', env[ENV.responseDecryptionKey]),
    method: text(ENV.method)?.toUpperCase() as IntrospectionModuleOptions['method'],
    requestParams: params(text(ENV.requestParams)),
    requestHeaders: jsonObject('requestHeaders', text(ENV.requestHeaders)),
    jwt: jwtOptions(text, list),
    acceptOpaqueTokens: booleanVariable('acceptOpaqueTokens', text(ENV.acceptOpaqueTokens)),
    clientId: text(ENV.clientId) as string,
    // Secrets are taken verbatim: surrounding spaces may be part of them.
    clientSecret: env[ENV.clientSecret] || undefined,
    endpointAuthMethod: text(ENV.endpointAuthMethod),
    jwtSigningProfile: signingProfile(env, text),
    bearerToken: env[ENV.bearerToken] || undefined,
    tokenEndpoint: text(ENV.tokenEndpoint),
    tokenEndpointAuthMethod: text(ENV.tokenEndpointAuthMethod),
    tokenScope: text(ENV.tokenScope),
    cache: group({
      ttl: text(ENV['cache.ttl']),
      negativeTtl: text(ENV['cache.negativeTtl']),
      maxEntries: integerVariable('cache.maxEntries', text(ENV['cache.maxEntries'])),
      localTtl: text(ENV['cache.localTtl']),
      url: text(ENV['cache.url']),
      secret: env[ENV['cache.secret']] || undefined,
      previousSecrets: secretList(env[ENV['cache.previousSecrets']]),
      timeout: text(ENV['cache.timeout']),
      staleIfError: text(ENV['cache.staleIfError']),
      coalescing: text(ENV['cache.coalescing'])?.toLowerCase() as CacheCoalescing | undefined,
    }),
    transport: group({
      client: text(ENV['transport.client'])?.toLowerCase() as IntrospectionTransportClient | undefined,
      timeout: text(ENV['transport.timeout']),
      retries: integerVariable('transport.retries', text(ENV['transport.retries'])),
      retryBackoff: text(ENV['transport.retryBackoff']),
      maxResponseBytes: integerVariable(
        'transport.maxResponseBytes',
        text(ENV['transport.maxResponseBytes']),
      ),
      allowInsecureHttp: booleanVariable(
        'transport.allowInsecureHttp',
        text(ENV['transport.allowInsecureHttp']),
      ),
      tls: tlsVariables(env),
    }),
    breaker: group({
      threshold: integerVariable('breaker.threshold', text(ENV['breaker.threshold'])),
      cooldown: text(ENV['breaker.cooldown']),
    }),
    tokenTypeHint: text(ENV.tokenTypeHint),
    clockTolerance: text(ENV.clockTolerance),
    realm: text(ENV.realm),
    audience: list('audience'),
    allowMissingTokenType: booleanVariable('allowMissingTokenType', text(ENV.allowMissingTokenType)),
    maxTokenLength: integerVariable('maxTokenLength', text(ENV.maxTokenLength)),
    wsAuthPayloadField: text(ENV.wsAuthPayloadField),
    resource: text(ENV.resource),
    resourceMetadata: booleanVariable('resourceMetadata', text(ENV.resourceMetadata)),
    sendResource: booleanVariable('sendResource', text(ENV.sendResource)),
    acrValues: list('acrValues'),
    maxAge: text(ENV.maxAge),
    dpop: group({
      mode: text(ENV['dpop.mode'])?.toLowerCase() as DpopMode | undefined,
      nonce: booleanVariable('dpop.nonce', text(ENV['dpop.nonce'])),
      nonceLifetime: text(ENV['dpop.nonceLifetime']),
      algorithms: list('dpop.algorithms'),
      proofMaxAge: text(ENV['dpop.proofMaxAge']),
    }),
    mtls: group({
      certificateHeader: text(ENV['mtls.certificateHeader']),
      certificateHeaderFormat: text(ENV['mtls.certificateHeaderFormat']) as
        CertificateHeaderFormat | undefined,
    }),
    publicUrl: text(ENV.publicUrl),
    trustProxy: list('trustProxy'),
    telemetry: group({
      recordSubject: booleanVariable('telemetry.recordSubject', text(ENV['telemetry.recordSubject'])),
    }),
    // Only what is set: issuer and jwksUri are checked (required together) when the module boots.
    securityEvents: group({
      path: text(ENV['securityEvents.path']),
      issuer: text(ENV['securityEvents.issuer']),
      jwksUri: text(ENV['securityEvents.jwksUri']),
      audience: list('securityEvents.audience'),
      maxAge: text(ENV['securityEvents.maxAge']),
      requireToken: booleanVariable('securityEvents.requireToken', text(ENV['securityEvents.requireToken'])),
    }) as IntrospectionModuleOptions['securityEvents'],
  };
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as IntrospectionModuleOptions;
}

/** A group of options without its unset members; `undefined` when none is set. */
function group<T extends object>(members: T): T | undefined {
  const set = Object.entries(members).filter(([, value]) => value !== undefined);
  return set.length > 0 ? (Object.fromEntries(set) as T) : undefined;
}

/** PEM text from the INTROSPECTION_TLS_* variables; `undefined` when none is set. */
function tlsVariables(env: IntrospectionEnv): IntrospectionTlsOptions | undefined {
  const tls: IntrospectionTlsOptions = {};
  for (const [member, variable] of Object.entries(TLS_ENV) as Array<[keyof typeof TLS_ENV, string]>) {
    // Verbatim, like the client secret: PEM line breaks and passphrases matter.
    const value = env[variable];
    if (value) {
      tls[member] = value;
    }
  }
  return Object.keys(tls).length > 0 ? tls : undefined;
}

function jwtOptions(
  text: (name: string) => string | undefined,
  toList: (option: keyof typeof ENV) => string[] | undefined,
): IntrospectionModuleOptions['jwt'] {
  const audience = toList('jwt.audience');
  const rest = {
    algorithms: toList('jwt.algorithms'),
    types: toList('jwt.types'),
    jwksUri: text(ENV['jwt.jwksUri']),
  };
  if (!audience) {
    const orphans = (Object.keys(rest) as Array<keyof typeof rest>).filter((key) => rest[key] !== undefined);
    if (orphans.length > 0) {
      // Local JWT validation is on only with an audience: without one these
      // would be dropped without a word.
      throw new IntrospectionConfigurationError(
        'jwt.audience',
        `is required when ${orphans.map((key) => ENV[`jwt.${key}`]).join(' or ')} is set: local JWT validation is on only with an audience.`,
      );
    }
    return undefined;
  }
  return Object.fromEntries(
    Object.entries({ audience, ...rest }).filter(([, value]) => value !== undefined),
  ) as unknown as IntrospectionModuleOptions['jwt'];
}

function params(value: string | undefined): Record<string, string> | undefined {
  return value === undefined ? undefined : Object.fromEntries(new URLSearchParams(value));
}

function jsonObject(option: keyof typeof ENV, value: string | undefined): Record<string, string> | undefined {
  if (value === undefined) {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return parsed as Record<string, string>;
    }
  } catch {
    // Reported below.
  }
  throw new IntrospectionConfigurationError(option, 'is not a JSON object, e.g. {"X-Tenant":"acme"}.');
}

/** The signing profile from `INTROSPECTION_SIGNING_*`, or `undefined` when none is set. */
function signingProfile(
  env: IntrospectionEnv,
  text: (name: string) => string | undefined,
): JwtSigningProfile | undefined {
  const profile: JwtSigningProfile = {
    signatureAlgorithm: text(ENV['jwtSigningProfile.signatureAlgorithm']) as JwtSigningAlgorithm | undefined,
    key: keyVariable('jwtSigningProfile.key', env[ENV['jwtSigningProfile.key']]),
    keyFile: text(ENV['jwtSigningProfile.keyFile']),
    keyId: text(ENV['jwtSigningProfile.keyId']),
    ttl: text(ENV['jwtSigningProfile.ttl']),
    audience: text(ENV['jwtSigningProfile.audience']),
  };
  const set = Object.entries(profile).filter(([, value]) => value !== undefined);
  return set.length > 0 ? Object.fromEntries(set) : undefined;
}

/**
 * A private key variable (`INTROSPECTION_SIGNING_KEY`,
 * `INTROSPECTION_RESPONSE_DECRYPTION_KEY`): a JWK as JSON, or a PEM. Environment files
 * often cannot hold line breaks, so a PEM written on one line with literal
 * `\n` separators is accepted too.
 */
function keyVariable(
  option: keyof typeof ENV,
  value: string | undefined,
): string | JsonWebKeyInput | undefined {
  const key = value?.trim();
  if (!key) {
    return undefined;
  }
  if (key.startsWith('{')) {
    let jwk: unknown;
    try {
      jwk = JSON.parse(key);
    } catch {
      // The parser's message may quote the key: never pass it on.
      throw new IntrospectionConfigurationError(ENV[option], 'starts like a JWK but is not valid JSON.');
    }
    return jwk as JsonWebKeyInput;
  }
  return key.includes('\\n') && !key.includes('\n') ? key.replaceAll('\\n', '\n') : key;
}

function listVariable(option: keyof typeof ENV, value: string | undefined): string[] | undefined {
  if (value === undefined) {
    return undefined;
  }
  const items = value.split(/[\s,]+/).filter(Boolean);
  if (items.length === 0) {
    // "," must not read as "unset": for the audience that would turn the check off.
    throw new IntrospectionConfigurationError(option, `"${value}" lists no value, only separators.`);
  }
  return items;
}

/** Secrets separated by commas only, each verbatim like a single secret. */
function secretList(value: string | undefined): string[] | undefined {
  const secrets = value?.split(',').filter(Boolean);
  return secrets?.length ? secrets : undefined;
}

function booleanVariable(option: keyof typeof ENV, value: string | undefined): boolean | undefined {
  if (value === undefined) {
    return undefined;
  }
  const normalized = value.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalized)) {
    return true;
  }
  if (['false', '0', 'no', 'off'].includes(normalized)) {
    return false;
  }
  throw new IntrospectionConfigurationError(option, `"${value}" is not a boolean; use true or false.`);
}

function integerVariable(option: keyof typeof ENV, value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!/^\d+$/.test(value)) {
    throw new IntrospectionConfigurationError(option, `"${value}" is not a whole number.`);
  }
  return Number(value);
}
