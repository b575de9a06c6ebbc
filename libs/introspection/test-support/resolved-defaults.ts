import { KeyObject } from 'node:crypto';

/**
 * The resolved defaults of the discovery, JWT and compatibility options, for
 * specs that compare whole resolved option objects.
 */
export const DISCOVERY_AND_JWT_DEFAULTS = {
  discovery: false,
  discoveryRetry: false,
  discoveryRefreshIntervalMs: 3_600_000,
  jwksUri: undefined,
  responseFormat: 'json',
  responseSigningAlgorithms: undefined,
  responseMaxAgeMs: 5_000,
  jwtResponseValidator: undefined,
  responseDecryptionKey: undefined,
  method: 'POST',
  requestParams: {},
  requestHeaders: {},
  jwt: undefined,
  acceptOpaqueTokens: true,
} as const;

/**
 * The resolved defaults of the cache secrets, for specs that compare whole
 * resolved option objects: a random secret is made when none is configured.
 */
export const CACHE_SECRET_DEFAULTS = {
  cacheSecret: expect.any(KeyObject) as unknown,
  cachePreviousSecrets: [],
} as const;

/**
 * The resolved defaults of the transport security and resilience options,
 * for specs that compare whole resolved option objects.
 */
export const TRANSPORT_AND_RESILIENCE_DEFAULTS = {
  allowInsecureHttp: false,
  tls: undefined,
  retries: 1,
  retryBackoffMs: 100,
  circuitBreakerThreshold: 5,
  circuitBreakerCooldownMs: 10_000,
  staleIfErrorMs: 0,
} as const;

/**
 * The resolved defaults of the resource and step-up options, for specs that
 * compare whole resolved option objects.
 */
export const RESOURCE_DEFAULTS = {
  resource: undefined,
  resourceMetadata: undefined,
  sendResource: false,
  acrValues: [],
  maxAgeMs: undefined,
} as const;

/**
 * The resolved defaults of the sender-constrained token options (`dpop`,
 * `mtls`, `publicUrl`, `trustProxy`), for specs that compare whole resolved
 * option objects.
 */
export const BINDING_DEFAULTS = {
  dpop: {
    mode: 'allowed',
    nonce: false,
    nonceLifetimeMs: 300_000,
    algorithms: ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'],
    proofMaxAgeMs: 60_000,
  },
  mtls: { certificateHeader: undefined, certificateHeaderFormat: 'escaped-pem' },
  publicUrl: undefined,
  trustProxy: [],
} as const;

/** The resolved defaults of the `telemetry` group, for specs that compare whole resolved option objects. */
export const TELEMETRY_DEFAULTS = { telemetry: { recordSubject: false } } as const;
