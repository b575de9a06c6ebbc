import { optionAt } from '../../test-support/option-at';
import { thrown } from '../../test-support/thrown';
import {
  CACHE_SECRET_DEFAULTS,
  DISCOVERY_AND_JWT_DEFAULTS,
  RESOURCE_DEFAULTS,
  TELEMETRY_DEFAULTS,
  TRANSPORT_AND_RESILIENCE_DEFAULTS,
  BINDING_DEFAULTS,
} from '../../test-support/resolved-defaults';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { INTROSPECTION_ENV_VARIABLES } from './environment-variables';
import { parseIntrospectionEnv } from './introspection-env';
import { resolveIntrospectionOptions } from './resolve-options';

/** Runs `fn`, expecting it to throw an IntrospectionConfigurationError, and returns that error. */
const configurationError = (fn: () => unknown) => thrown(IntrospectionConfigurationError, fn);

describe('parseIntrospectionEnv', () => {
  const mappings: [option: string, variable: string, raw: string, expected: unknown][] = [
    [
      'endpoint',
      'INTROSPECTION_ENDPOINT',
      'https://as.example.com/introspect',
      'https://as.example.com/introspect',
    ],
    ['issuer', 'INTROSPECTION_ISSUER', 'https://as.example.com', 'https://as.example.com'],
    ['clientId', 'INTROSPECTION_CLIENT_ID', 'orders-api', 'orders-api'],
    ['clientSecret', 'INTROSPECTION_CLIENT_SECRET', 's3cret', 's3cret'],
    ['endpointAuthMethod', 'INTROSPECTION_ENDPOINT_AUTH_METHOD', 'client_secret_post', 'client_secret_post'],
    ['cache.ttl', 'INTROSPECTION_TTL', '30s', '30s'],
    ['cache.negativeTtl', 'INTROSPECTION_NEGATIVE_TTL', '5s', '5s'],
    ['cache.maxEntries', 'INTROSPECTION_CACHE_MAX_ENTRIES', '500', 500],
    ['cache.localTtl', 'INTROSPECTION_CACHE_LOCAL_TTL', '250ms', '250ms'],
    ['cache.url', 'INTROSPECTION_CACHE_URL', 'redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['cache.secret', 'INTROSPECTION_CACHE_SECRET', 'c'.repeat(32), 'c'.repeat(32)],
    [
      'cache.previousSecrets',
      'INTROSPECTION_CACHE_PREVIOUS_SECRET',
      `${'p'.repeat(32)},${'q'.repeat(32)}`,
      ['p'.repeat(32), 'q'.repeat(32)],
    ],
    ['cache.timeout', 'INTROSPECTION_CACHE_TIMEOUT', '50ms', '50ms'],
    ['cache.coalescing', 'INTROSPECTION_CACHE_COALESCING', 'Distributed', 'distributed'],
    ['tokenTypeHint', 'INTROSPECTION_TOKEN_TYPE_HINT', 'refresh_token', 'refresh_token'],
    ['transport.timeout', 'INTROSPECTION_TIMEOUT', '1500ms', '1500ms'],
    ['transport.client', 'INTROSPECTION_TRANSPORT', 'Axios', 'axios'],
    ['clockTolerance', 'INTROSPECTION_CLOCK_TOLERANCE', '10', '10'],
    ['realm', 'INTROSPECTION_REALM', 'orders', 'orders'],
    ['audience', 'INTROSPECTION_AUDIENCE', 'orders-api', ['orders-api']],
    ['allowMissingTokenType', 'INTROSPECTION_ALLOW_MISSING_TOKEN_TYPE', 'true', true],
    ['maxTokenLength', 'INTROSPECTION_MAX_TOKEN_LENGTH', '8192', 8192],
    ['transport.maxResponseBytes', 'INTROSPECTION_MAX_RESPONSE_BYTES', '131072', 131_072],
    ['transport.allowInsecureHttp', 'INTROSPECTION_ALLOW_INSECURE_HTTP', 'on', true],
    ['transport.retries', 'INTROSPECTION_RETRIES', '0', 0],
    ['transport.retryBackoff', 'INTROSPECTION_RETRY_BACKOFF', '50ms', '50ms'],
    ['breaker.threshold', 'INTROSPECTION_CIRCUIT_BREAKER_THRESHOLD', '3', 3],
    ['breaker.cooldown', 'INTROSPECTION_CIRCUIT_BREAKER_COOLDOWN', '30s', '30s'],
    ['cache.staleIfError', 'INTROSPECTION_STALE_IF_ERROR', '5m', '5m'],
    ['discoveryRetry', 'INTROSPECTION_DISCOVERY_RETRY', 'on', true],
    ['discoveryRefreshInterval', 'INTROSPECTION_DISCOVERY_REFRESH_INTERVAL', '30m', '30m'],
    ['jwksUri', 'INTROSPECTION_JWKS_URI', 'https://as.example.com/jwks', 'https://as.example.com/jwks'],
    ['responseFormat', 'INTROSPECTION_RESPONSE_FORMAT', 'jwt', 'jwt'],
    ['responseMaxAge', 'INTROSPECTION_RESPONSE_MAX_AGE', '30s', '30s'],
    [
      'responseSigningAlgorithms',
      'INTROSPECTION_RESPONSE_SIGNING_ALGORITHMS',
      'RS256, ES256',
      ['RS256', 'ES256'],
    ],
    ['method', 'INTROSPECTION_METHOD', 'get', 'GET'],
    [
      'responseDecryptionKey',
      'INTROSPECTION_RESPONSE_DECRYPTION_KEY',
      '{"kty":"oct","k":"AAAA"}',
      { kty: 'oct', k: 'AAAA' },
    ],
    [
      'requestParams',
      'INTROSPECTION_REQUEST_PARAMS',
      'response_as_jwt=true&x=a%20b',
      { response_as_jwt: 'true', x: 'a b' },
    ],
    ['requestHeaders', 'INTROSPECTION_REQUEST_HEADERS', '{"X-Tenant":"acme"}', { 'X-Tenant': 'acme' }],
    ['acceptOpaqueTokens', 'INTROSPECTION_ACCEPT_OPAQUE_TOKENS', 'false', false],
    ['wsAuthPayloadField', 'INTROSPECTION_WS_AUTH_PAYLOAD_FIELD', 'token', 'token'],
    ['resource', 'INTROSPECTION_RESOURCE', 'https://api.example.com', 'https://api.example.com'],
    ['resourceMetadata', 'INTROSPECTION_RESOURCE_METADATA', 'true', true],
    ['sendResource', 'INTROSPECTION_SEND_RESOURCE', 'yes', true],
    [
      'acrValues',
      'INTROSPECTION_ACR_VALUES',
      'urn:example:mfa, urn:example:hwk',
      ['urn:example:mfa', 'urn:example:hwk'],
    ],
    ['maxAge', 'INTROSPECTION_MAX_AGE', '5m', '5m'],
  ];
  /** The `jwt` block's variables, read together (the block exists once its audience is set). */
  const jwtVariables = {
    'jwt.audience': 'INTROSPECTION_JWT_AUDIENCE',
    'jwt.algorithms': 'INTROSPECTION_JWT_ALGORITHMS',
    'jwt.types': 'INTROSPECTION_JWT_TYPES',
    'jwt.jwksUri': 'INTROSPECTION_JWT_JWKS_URI',
  };
  /** The `telemetry` group's variables. */
  const telemetryVariables = { 'telemetry.recordSubject': 'INTROSPECTION_TELEMETRY_RECORD_SUBJECT' };

  it('reads the telemetry group from INTROSPECTION_TELEMETRY_*', () => {
    expect(parseIntrospectionEnv({ INTROSPECTION_TELEMETRY_RECORD_SUBJECT: 'yes' })).toStrictEqual({
      telemetry: { recordSubject: true },
    });
    expect(parseIntrospectionEnv({ INTROSPECTION_TELEMETRY_RECORD_SUBJECT: 'false' })).toStrictEqual({
      telemetry: { recordSubject: false },
    });
    expect(() => parseIntrospectionEnv({ INTROSPECTION_TELEMETRY_RECORD_SUBJECT: 'maybe' })).toThrow(
      'telemetry.recordSubject',
    );
  });

  /** The `securityEvents` group's variables. */
  const securityEventsVariables = {
    'securityEvents.path': 'INTROSPECTION_SET_PATH',
    'securityEvents.issuer': 'INTROSPECTION_SET_ISSUER',
    'securityEvents.jwksUri': 'INTROSPECTION_SET_JWKS_URI',
    'securityEvents.audience': 'INTROSPECTION_SET_AUDIENCE',
    'securityEvents.maxAge': 'INTROSPECTION_SET_MAX_AGE',
    'securityEvents.requireToken': 'INTROSPECTION_SET_REQUIRE_TOKEN',
  };

  it('reads the securityEvents group from INTROSPECTION_SET_*, only what is set', () => {
    expect(
      parseIntrospectionEnv({
        INTROSPECTION_SET_PATH: '/events',
        INTROSPECTION_SET_ISSUER: 'https://as.example.com',
        INTROSPECTION_SET_JWKS_URI: 'https://as.example.com/jwks',
        INTROSPECTION_SET_AUDIENCE: 'orders-api, urn:orders',
        INTROSPECTION_SET_MAX_AGE: '2m',
        INTROSPECTION_SET_REQUIRE_TOKEN: 'true',
      }),
    ).toStrictEqual({
      securityEvents: {
        path: '/events',
        issuer: 'https://as.example.com',
        jwksUri: 'https://as.example.com/jwks',
        audience: ['orders-api', 'urn:orders'],
        maxAge: '2m',
        requireToken: true,
      },
    });
    expect(parseIntrospectionEnv({ INTROSPECTION_SET_ISSUER: 'https://as.example.com' })).toStrictEqual({
      securityEvents: { issuer: 'https://as.example.com' },
    });
    expect(parseIntrospectionEnv({})).toStrictEqual({});
  });

  /** The variables of the sender-constrained token options, read into their groups. */
  const bindingVariables = {
    'dpop.mode': 'INTROSPECTION_DPOP',
    'dpop.nonce': 'INTROSPECTION_DPOP_NONCE',
    'dpop.nonceLifetime': 'INTROSPECTION_DPOP_NONCE_LIFETIME',
    'dpop.algorithms': 'INTROSPECTION_DPOP_ALGORITHMS',
    'dpop.proofMaxAge': 'INTROSPECTION_DPOP_PROOF_MAX_AGE',
    'mtls.certificateHeader': 'INTROSPECTION_MTLS_CERTIFICATE_HEADER',
    'mtls.certificateHeaderFormat': 'INTROSPECTION_MTLS_CERTIFICATE_HEADER_FORMAT',
    publicUrl: 'INTROSPECTION_PUBLIC_URL',
    trustProxy: 'INTROSPECTION_TRUST_PROXY',
  };

  it('reads the dpop and mtls groups, publicUrl and trustProxy', () => {
    expect(
      parseIntrospectionEnv({
        INTROSPECTION_DPOP: 'Required',
        INTROSPECTION_DPOP_NONCE: 'true',
        INTROSPECTION_DPOP_NONCE_LIFETIME: '1m',
        INTROSPECTION_DPOP_ALGORITHMS: 'ES256, EdDSA',
        INTROSPECTION_DPOP_PROOF_MAX_AGE: '30s',
        INTROSPECTION_MTLS_CERTIFICATE_HEADER: 'x-ssl-client-cert',
        INTROSPECTION_MTLS_CERTIFICATE_HEADER_FORMAT: 'xfcc',
        INTROSPECTION_PUBLIC_URL: 'https://api.example.com',
        INTROSPECTION_TRUST_PROXY: 'loopback,10.0.0.0/8',
      }),
    ).toStrictEqual({
      dpop: {
        mode: 'required',
        nonce: true,
        nonceLifetime: '1m',
        algorithms: ['ES256', 'EdDSA'],
        proofMaxAge: '30s',
      },
      mtls: { certificateHeader: 'x-ssl-client-cert', certificateHeaderFormat: 'xfcc' },
      publicUrl: 'https://api.example.com',
      trustProxy: ['loopback', '10.0.0.0/8'],
    });
    expect(parseIntrospectionEnv({ INTROSPECTION_DPOP: 'disabled' })).toStrictEqual({
      dpop: { mode: 'disabled' },
    });
  });

  it('reads the tls members verbatim from INTROSPECTION_TLS_*', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    expect(
      parseIntrospectionEnv({
        INTROSPECTION_TLS_CA: pem,
        INTROSPECTION_TLS_CERT: pem,
        INTROSPECTION_TLS_KEY: 'KEY',
        INTROSPECTION_TLS_KEY_PASSPHRASE: ' pass ',
      }),
    ).toStrictEqual({ transport: { tls: { ca: pem, cert: pem, key: 'KEY', passphrase: ' pass ' } } });
  });

  it('covers every documented variable in this table', () => {
    // Client authentication variables have their own spec (introspection-env.client-auth.spec.ts).
    const clientAuth = /^(jwtSigningProfile\.|bearerToken$|tokenEndpoint|tokenScope$)/;
    expect({
      ...Object.fromEntries(mappings.map(([option, variable]) => [option, variable])),
      ...jwtVariables,
      ...bindingVariables,
      ...telemetryVariables,
      ...securityEventsVariables,
    }).toStrictEqual(
      Object.fromEntries(
        Object.entries(INTROSPECTION_ENV_VARIABLES).filter(([option]) => !clientAuth.test(option)),
      ),
    );
  });

  it('reads the jwt block from its variables', () => {
    expect(
      parseIntrospectionEnv({
        INTROSPECTION_JWT_AUDIENCE: 'https://api.example.com, urn:api',
        INTROSPECTION_JWT_ALGORITHMS: 'RS256 ES256',
        INTROSPECTION_JWT_TYPES: 'at+jwt',
        INTROSPECTION_JWT_JWKS_URI: 'https://keys.example.com/jwks',
      }),
    ).toStrictEqual({
      jwt: {
        audience: ['https://api.example.com', 'urn:api'],
        algorithms: ['RS256', 'ES256'],
        types: ['at+jwt'],
        jwksUri: 'https://keys.example.com/jwks',
      },
    });
  });

  it.each([
    [{ INTROSPECTION_JWT_ALGORITHMS: 'RS256' }, 'INTROSPECTION_JWT_ALGORITHMS'],
    [{ INTROSPECTION_JWT_TYPES: 'at+jwt' }, 'INTROSPECTION_JWT_TYPES'],
    [{ INTROSPECTION_JWT_JWKS_URI: 'https://as.example.com/jwks' }, 'INTROSPECTION_JWT_JWKS_URI'],
  ])('refuses %p without INTROSPECTION_JWT_AUDIENCE instead of dropping it', (env, variable) => {
    const error = configurationError(() => parseIntrospectionEnv(env));
    expect(error.option).toBe('jwt.audience');
    expect(error.message).toContain(`is required when ${variable} is set`);
  });

  it.each([
    ['INTROSPECTION_AUDIENCE', 'audience', ','],
    ['INTROSPECTION_AUDIENCE', 'audience', ' , ,'],
    ['INTROSPECTION_RESPONSE_SIGNING_ALGORITHMS', 'responseSigningAlgorithms', ',,'],
    ['INTROSPECTION_JWT_AUDIENCE', 'jwt.audience', ','],
  ])('refuses %s holding only separators, which would read as unset', (variable, option, value) => {
    const error = configurationError(() => parseIntrospectionEnv({ [variable]: value }));
    expect(error.option).toBe(option);
    expect(error.message).toContain('lists no value');
  });

  it('refuses INTROSPECTION_REQUEST_HEADERS that is not a JSON object, naming the variable', () => {
    const error = configurationError(() =>
      parseIntrospectionEnv({ INTROSPECTION_REQUEST_HEADERS: 'X-Tenant: acme' }),
    );
    expect(error.option).toBe('requestHeaders');
    expect(error.message).toContain('INTROSPECTION_REQUEST_HEADERS');
  });

  it.each(mappings)('maps %s from %s', (option, variable, raw, expected) => {
    expect(parseIntrospectionEnv({ [variable]: raw })).toStrictEqual(optionAt(option, expected));
  });

  it('reads every variable at once', () => {
    const env = Object.fromEntries(mappings.map(([, variable, raw]) => [variable, raw]));
    const expected = mappings.reduce<Record<string, unknown>>(
      (options, [option, , , value]) => optionAt(option, value, options),
      {},
    );
    expect(parseIntrospectionEnv(env)).toStrictEqual(expected);
  });

  it('returns an empty object when no variable is set', () => {
    expect(parseIntrospectionEnv({})).toStrictEqual({});
  });

  it('leaves out empty and blank variables so the module defaults apply', () => {
    const env = Object.fromEntries(
      Object.values(INTROSPECTION_ENV_VARIABLES).map((variable, i) => [variable, i % 2 ? '' : '   ']),
    );
    // A blank secret is kept verbatim (see below); an empty one is left out.
    env.INTROSPECTION_CLIENT_SECRET = '';
    env.INTROSPECTION_BEARER_TOKEN = '';
    env.INTROSPECTION_CACHE_SECRET = '';
    env.INTROSPECTION_CACHE_PREVIOUS_SECRET = '';
    expect(parseIntrospectionEnv(env)).toStrictEqual({});
  });

  it('leaves out variables whose value is undefined', () => {
    expect(
      parseIntrospectionEnv({ INTROSPECTION_ENDPOINT: undefined, INTROSPECTION_TTL: undefined }),
    ).toStrictEqual({});
  });

  it('ignores unrelated variables', () => {
    expect(
      parseIntrospectionEnv({
        PATH: '/usr/bin',
        INTROSPECTION_UNKNOWN: 'x',
        introspection_endpoint: 'https://x',
      }),
    ).toStrictEqual({});
  });

  it('trims surrounding whitespace of ordinary values', () => {
    expect(
      parseIntrospectionEnv({
        INTROSPECTION_ENDPOINT: '  https://as.example.com/introspect\n',
        INTROSPECTION_CLIENT_ID: '\torders-api ',
        INTROSPECTION_TTL: ' 1m30s ',
      }),
    ).toStrictEqual({
      endpoint: 'https://as.example.com/introspect',
      clientId: 'orders-api',
      cache: { ttl: '1m30s' },
    });
  });

  it.each([' s3cret ', '   ', 'p:a%s+s wörd', '"quoted"'])('takes the secret %p verbatim', (secret) => {
    expect(parseIntrospectionEnv({ INTROSPECTION_CLIENT_SECRET: secret })).toStrictEqual({
      clientSecret: secret,
    });
  });

  it('takes the cache secrets verbatim, the previous ones split on commas only', () => {
    expect(
      parseIntrospectionEnv({
        INTROSPECTION_CACHE_SECRET: ' current secret ',
        INTROSPECTION_CACHE_PREVIOUS_SECRET: ' old one, older one,',
      }),
    ).toStrictEqual({
      cache: { secret: ' current secret ', previousSecrets: [' old one', ' older one'] },
    });
  });

  it('reads only the object it is given, never process.env', () => {
    const saved = process.env.INTROSPECTION_ENDPOINT;
    process.env.INTROSPECTION_ENDPOINT = 'https://from-process-env.example.com/introspect';
    try {
      expect(parseIntrospectionEnv({})).toStrictEqual({});
    } finally {
      if (saved === undefined) {
        delete process.env.INTROSPECTION_ENDPOINT;
      } else {
        process.env.INTROSPECTION_ENDPOINT = saved;
      }
    }
  });

  describe('INTROSPECTION_AUDIENCE', () => {
    it.each([
      ['orders-api', ['orders-api']],
      ['orders-api,payments-api', ['orders-api', 'payments-api']],
      ['orders-api payments-api', ['orders-api', 'payments-api']],
      ['orders-api, payments-api', ['orders-api', 'payments-api']],
      [
        ' orders-api ,, payments-api\thttps://api.example.com ',
        ['orders-api', 'payments-api', 'https://api.example.com'],
      ],
    ])('%p -> %p', (raw, expected) => {
      expect(parseIntrospectionEnv({ INTROSPECTION_AUDIENCE: raw }).audience).toStrictEqual(expected);
    });
  });

  describe('INTROSPECTION_ALLOW_MISSING_TOKEN_TYPE', () => {
    it.each([
      ['true', true],
      ['TRUE', true],
      [' True ', true],
      ['1', true],
      ['yes', true],
      ['on', true],
      ['false', false],
      ['False', false],
      ['0', false],
      ['no', false],
      ['OFF', false],
    ])('%p -> %p', (raw, expected) => {
      expect(parseIntrospectionEnv({ INTROSPECTION_ALLOW_MISSING_TOKEN_TYPE: raw })).toStrictEqual({
        allowMissingTokenType: expected,
      });
    });

    it.each(['maybe', 't', '2', 'truee', 'yes please'])(
      'refuses %p, naming the option and the variable',
      (raw) => {
        const error = configurationError(() =>
          parseIntrospectionEnv({ INTROSPECTION_ALLOW_MISSING_TOKEN_TYPE: raw }),
        );
        expect(error.option).toBe('allowMissingTokenType');
        expect(error.message).toBe(
          `Invalid introspection configuration, option "allowMissingTokenType" (env INTROSPECTION_ALLOW_MISSING_TOKEN_TYPE): "${raw}" is not a boolean; use true or false.`,
        );
      },
    );
  });

  describe.each([
    ['INTROSPECTION_MAX_TOKEN_LENGTH', 'maxTokenLength'],
    ['INTROSPECTION_MAX_RESPONSE_BYTES', 'transport.maxResponseBytes'],
  ])('%s', (variable, option) => {
    it.each([
      ['1', 1],
      ['4096', 4096],
      [' 100 ', 100],
      ['007', 7],
      ['0', 0],
    ])('%p -> %p', (raw, expected) => {
      expect(parseIntrospectionEnv({ [variable]: raw })).toStrictEqual(optionAt(option, expected));
    });

    it.each(['abc', '1.5', '-1', '+1', '1e3', '0x10', '10kb', '1 000', '1_000'])(
      'refuses %p, naming the option and the variable',
      (raw) => {
        const error = configurationError(() => parseIntrospectionEnv({ [variable]: raw }));
        expect(error.option).toBe(option);
        expect(error.message).toBe(
          `Invalid introspection configuration, option "${option}" (env ${variable}): "${raw}" is not a whole number.`,
        );
      },
    );
  });

  it('produces options that resolveIntrospectionOptions accepts', () => {
    const options = parseIntrospectionEnv({
      INTROSPECTION_ENDPOINT: 'https://as.example.com/introspect',
      INTROSPECTION_CLIENT_ID: 'orders-api',
      INTROSPECTION_CLIENT_SECRET: 's3cret',
      INTROSPECTION_TTL: '30s',
      INTROSPECTION_TIMEOUT: '2',
      INTROSPECTION_AUDIENCE: 'orders-api,payments-api',
      INTROSPECTION_ALLOW_MISSING_TOKEN_TYPE: 'yes',
      INTROSPECTION_MAX_TOKEN_LENGTH: '1024',
      INTROSPECTION_REALM: '',
    });
    expect(resolveIntrospectionOptions(options)).toStrictEqual({
      endpoint: 'https://as.example.com/introspect',
      issuer: undefined,
      clientId: 'orders-api',
      clientSecret: 's3cret',
      endpointAuthMethod: 'client_secret_basic',
      ttlMs: 30_000,
      jwtSigningProfile: undefined,
      bearerToken: undefined,
      tokenEndpoint: undefined,
      tokenEndpointAuthMethod: 'client_secret_basic',
      tokenScope: undefined,
      negativeTtlMs: 10_000,
      cacheMaxEntries: 10_000,
      cacheLocalTtlMs: undefined,
      cacheUrl: undefined,
      cache: undefined,
      ...CACHE_SECRET_DEFAULTS,
      cacheTimeoutMs: 100,
      cacheCoalescing: 'local',
      tokenTypeHint: 'access_token',
      transportClient: 'undici',
      timeoutMs: 2_000,
      clockToleranceMs: 5_000,
      realm: undefined,
      audience: ['orders-api', 'payments-api'],
      allowMissingTokenType: true,
      maxTokenLength: 1024,
      maxResponseBytes: 65_536,
      ...TRANSPORT_AND_RESILIENCE_DEFAULTS,
      ...DISCOVERY_AND_JWT_DEFAULTS,
      ...BINDING_DEFAULTS,
      ...RESOURCE_DEFAULTS,
      ...TELEMETRY_DEFAULTS,
      // Follows INTROSPECTION_TIMEOUT when unset.
      responseMaxAgeMs: 2_000,
      wsAuthPayloadField: undefined,
      rpcAuthorizationExtractor: undefined,
    });
  });
});
