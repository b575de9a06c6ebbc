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
  jwtResponseValidator: undefined,
  responseDecryptionKey: undefined,
  method: 'POST',
  requestParams: {},
  requestHeaders: {},
  jwt: undefined,
  acceptOpaqueTokens: true,
} as const;
