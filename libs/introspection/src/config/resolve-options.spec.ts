import { Keyv } from 'keyv';
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
import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePki, type Pki } from '../../test-support/pki';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { resolveIntrospectionOptions } from './resolve-options';

const ENDPOINT = 'https://as.example.com/token/introspection';
const SECRET = 'SECRET-MARKER-9c41e7';
const VALIDATOR = (): void => undefined;
const CACHE_SECRET = 'CACHE-SECRET-MARKER-0123456789abcdef';
const PREVIOUS_CACHE_SECRET = 'PREVIOUS-CACHE-SECRET-0123456789abcdef';

// Real certificates and keys: TLS material is parsed at boot.
const pkiDir = mkdtempSync(join(tmpdir(), 'introspection-options-pki-'));
const PKI: Pki = makePki(pkiDir);
afterAll(() => rmSync(pkiDir, { recursive: true, force: true }));
const TLS = { ca: PKI.ca, cert: PKI.clientCert, key: PKI.clientKey };

/** The smallest valid options, with any option overridden or added. */
function resolve(overrides: Record<string, unknown> = {}) {
  return resolveIntrospectionOptions({ endpoint: ENDPOINT, clientId: 'orders-api', ...overrides });
}

/** Runs `fn`, expecting it to throw an IntrospectionConfigurationError, and returns that error. */
const configurationError = (fn: () => unknown) => thrown(IntrospectionConfigurationError, fn);

describe('resolveIntrospectionOptions', () => {
  it('applies every default to the smallest valid options', () => {
    expect(resolve()).toStrictEqual({
      endpoint: ENDPOINT,
      issuer: undefined,
      clientId: 'orders-api',
      clientSecret: undefined,
      endpointAuthMethod: 'client_secret_basic',
      ttlMs: 0,
      jwtSigningProfile: undefined,
      bearerToken: undefined,
      tokenEndpoint: undefined,
      tokenEndpointAuthMethod: 'client_secret_basic',
      tokenScope: undefined,
      negativeTtlMs: 0,
      cacheMaxEntries: 10_000,
      cacheLocalTtlMs: undefined,
      cacheUrl: undefined,
      cache: undefined,
      ...CACHE_SECRET_DEFAULTS,
      cacheTimeoutMs: 100,
      cacheCoalescing: 'local',
      tokenTypeHint: 'access_token',
      transportClient: 'undici',
      timeoutMs: 5_000,
      clockToleranceMs: 5_000,
      realm: undefined,
      audience: [],
      allowMissingTokenType: false,
      maxTokenLength: 4096,
      maxResponseBytes: 65_536,
      ...TRANSPORT_AND_RESILIENCE_DEFAULTS,
      ...DISCOVERY_AND_JWT_DEFAULTS,
      ...BINDING_DEFAULTS,
      ...RESOURCE_DEFAULTS,
      ...TELEMETRY_DEFAULTS,
      wsAuthPayloadField: undefined,
      rpcAuthorizationExtractor: undefined,
    });
  });

  it('keeps every option that is set, with durations in milliseconds', () => {
    const extractor = () => 'Bearer t';
    expect(
      resolve({
        issuer: 'https://as.example.com',
        clientSecret: SECRET,
        endpointAuthMethod: 'tls_client_auth',
        cache: {
          ttl: '1m30s',
          negativeTtl: '2s',
          maxEntries: 50,
          localTtl: '250ms',
          url: 'redis://127.0.0.1:6379',
          secret: CACHE_SECRET,
          previousSecrets: [PREVIOUS_CACHE_SECRET],
          timeout: '250ms',
          staleIfError: '5m',
          coalescing: 'distributed',
        },
        transport: {
          client: 'axios',
          timeout: '500ms',
          maxResponseBytes: 2048,
          allowInsecureHttp: true,
          tls: TLS,
          retries: 2,
          retryBackoff: '20ms',
        },
        breaker: { threshold: 0, cooldown: '30s' },

        tokenTypeHint: 'refresh_token',

        clockTolerance: 0,
        realm: 'orders',
        audience: ['orders-api', 'payments-api'],
        allowMissingTokenType: true,
        maxTokenLength: 1024,

        discoveryRetry: true,
        discoveryRefreshInterval: '10m',
        jwksUri: 'https://as.example.com/jwks',
        responseFormat: 'jwt',
        responseSigningAlgorithms: ['ES256'],
        responseMaxAge: '30s',
        jwtResponseValidator: VALIDATOR,
        method: 'GET',
        requestParams: { response_as_jwt: 'true' },
        requestHeaders: { 'X-Tenant': 'acme' },
        jwt: {
          audience: 'https://api.example.com',
          algorithms: ['PS256'],
          jwksUri: 'https://keys.example.com',
        },
        acceptOpaqueTokens: false,
        wsAuthPayloadField: 'token',
        rpcAuthorizationExtractor: extractor,
        dpop: {
          mode: 'required',
          nonce: true,
          nonceLifetime: '1m',
          algorithms: ['ES256'],
          proofMaxAge: '30s',
        },
        mtls: { certificateHeader: 'X-SSL-Client-Cert', certificateHeaderFormat: 'xfcc' },
        publicUrl: 'https://API.example.com:443/',
        trustProxy: 'loopback, 10.0.0.0/8',
        resource: 'https://api.example.com/orders',
        resourceMetadata: { resource_name: 'Orders' },
        sendResource: true,
        acrValues: ['urn:example:mfa'],
        maxAge: '5m',
        telemetry: { recordSubject: true },
      }),
    ).toStrictEqual({
      endpoint: ENDPOINT,
      issuer: 'https://as.example.com',
      clientId: 'orders-api',
      clientSecret: SECRET,
      endpointAuthMethod: 'tls_client_auth',
      ttlMs: 90_000,
      jwtSigningProfile: undefined,
      bearerToken: undefined,
      tokenEndpoint: undefined,
      tokenEndpointAuthMethod: 'client_secret_basic',
      tokenScope: undefined,
      negativeTtlMs: 2_000,
      cacheMaxEntries: 50,
      cacheLocalTtlMs: 250,
      cacheUrl: 'redis://127.0.0.1:6379',
      cache: undefined,
      cacheSecret: expect.any(KeyObject),
      cachePreviousSecrets: [expect.any(KeyObject)],
      cacheTimeoutMs: 250,
      cacheCoalescing: 'distributed',
      tokenTypeHint: 'refresh_token',
      transportClient: 'axios',
      timeoutMs: 500,
      clockToleranceMs: 0,
      realm: 'orders',
      audience: ['orders-api', 'payments-api'],
      allowMissingTokenType: true,
      maxTokenLength: 1024,
      maxResponseBytes: 2048,
      allowInsecureHttp: true,
      tls: TLS,
      retries: 2,
      retryBackoffMs: 20,
      circuitBreakerThreshold: 0,
      circuitBreakerCooldownMs: 30_000,
      staleIfErrorMs: 300_000,
      discovery: false,
      discoveryRetry: true,
      discoveryRefreshIntervalMs: 600_000,
      jwksUri: 'https://as.example.com/jwks',
      responseFormat: 'jwt',
      responseSigningAlgorithms: ['ES256'],
      responseMaxAgeMs: 30_000,
      jwtResponseValidator: VALIDATOR,
      responseDecryptionKey: undefined,
      method: 'GET',
      requestParams: { response_as_jwt: 'true', resource: 'https://api.example.com/orders' },
      requestHeaders: { 'X-Tenant': 'acme' },
      jwt: {
        audience: ['https://api.example.com'],
        algorithms: ['PS256'],
        jwksUri: 'https://keys.example.com',
        types: ['at+jwt', 'JWT'],
      },
      acceptOpaqueTokens: false,
      wsAuthPayloadField: 'token',
      rpcAuthorizationExtractor: extractor,
      dpop: {
        mode: 'required',
        nonce: true,
        nonceLifetimeMs: 60_000,
        algorithms: ['ES256'],
        proofMaxAgeMs: 30_000,
      },
      mtls: { certificateHeader: 'x-ssl-client-cert', certificateHeaderFormat: 'xfcc' },
      publicUrl: 'https://api.example.com',
      trustProxy: ['127.0.0.0/8', '::1/128', '10.0.0.0/8'],
      resource: 'https://api.example.com/orders',
      resourceMetadata: {
        url: 'https://api.example.com/.well-known/oauth-protected-resource/orders',
        path: '/.well-known/oauth-protected-resource/orders',
        members: { resource_name: 'Orders' },
      },
      sendResource: true,
      acrValues: ['urn:example:mfa'],
      maxAgeMs: 300_000,
      telemetry: { recordSubject: true },
    });
  });

  describe('transport security', () => {
    it.each([
      'http://127.0.0.1:9000/introspect',
      'http://127.8.9.10/introspect',
      'http://localhost:3000/introspect',
      'http://as.localhost/introspect',
      'http://[::1]:3000/introspect',
    ])('accepts plain http on the loopback host of %s', (endpoint) => {
      expect(resolve({ endpoint }).endpoint).toBe(new URL(endpoint).href);
    });

    it.each([
      'http://as.example.com/introspect',
      'http://10.0.0.5/introspect',
      'http://127.0.0.1.nip.io/introspect',
      'http://localhost.example.com/introspect',
      'http://[::ffff:10.0.0.1]/introspect',
    ])('refuses plain http to %s at boot', (endpoint) => {
      const error = configurationError(() => resolve({ endpoint }));
      expect(error.option).toBe('endpoint');
      expect(error.message).toContain('must be an https URL');
      expect(error.message).toContain('transport.allowInsecureHttp');
    });

    it('accepts plain http to any host with allowInsecureHttp', () => {
      expect(
        resolve({ endpoint: 'http://as.internal/introspect', transport: { allowInsecureHttp: true } })
          .endpoint,
      ).toBe('http://as.internal/introspect');
    });

    it('holds the token endpoint of the bearer method to the same rule', () => {
      const error = configurationError(() => resolve({ tokenEndpoint: 'http://as.example.com/token' }));
      expect(error.option).toBe('tokenEndpoint');
      expect(error.message).toContain('must be an https URL');
      expect(resolve({ tokenEndpoint: 'http://127.0.0.1:9000/token' }).tokenEndpoint).toBe(
        'http://127.0.0.1:9000/token',
      );
      expect(
        resolve({ tokenEndpoint: 'http://as.internal/token', transport: { allowInsecureHttp: true } })
          .tokenEndpoint,
      ).toBe('http://as.internal/token');
    });

    it('passes a CA bundle given as an array of Buffers through', () => {
      const ca = [Buffer.from(PKI.ca), PKI.ca];
      expect(resolve({ transport: { tls: { ca } } }).tls).toStrictEqual({ ca });
    });

    it.each<[unknown, string, string]>([
      ['not-an-object', 'transport.tls', 'must be an object'],
      [{ ca: 42 }, 'transport.tls.ca', 'PEM'],
      [{ ca: [42] }, 'transport.tls.ca', 'PEM'],
      [{ cert: 'C', key: 42 }, 'transport.tls.key', 'PEM'],
      [{ cert: 'C' }, 'transport.tls', 'cert and key go together'],
      [{ key: 'K' }, 'transport.tls', 'cert and key go together'],
      [{ cert: 'C', key: 'K', passphrase: 7 }, 'transport.tls.passphrase', 'must be a string'],
      [{ caFile: '/etc/ca.pem' }, 'transport.tls', 'unknown member "caFile"'],
    ])('refuses tls %p naming %s', (tls, option, message) => {
      const error = configurationError(() => resolve({ transport: { tls: tls } }));
      expect(error.option).toBe(option);
      expect(error.message).toContain(message);
    });

    it('never echoes a bad key in the message', () => {
      const error = configurationError(() =>
        resolve({ transport: { tls: { cert: 'C', key: { secret: SECRET } } } }),
      );
      expect(error.message).not.toContain(SECRET);
    });
  });

  describe('options grouped by concern', () => {
    it.each([
      ['ttl', '30s', 'cache.ttl'],
      ['cacheUrl', 'redis://127.0.0.1:6379', 'cache.url'],
      ['cacheSecret', CACHE_SECRET, 'cache.secret'],
      ['staleIfError', '1m', 'cache.staleIfError'],
      ['timeout', '2s', 'transport.timeout'],
      ['retries', 0, 'transport.retries'],
      ['tls', TLS, 'transport.tls'],
      ['allowInsecureHttp', true, 'transport.allowInsecureHttp'],
      ['circuitBreakerThreshold', 3, 'breaker.threshold'],
      ['circuitBreakerCooldown', '5s', 'breaker.cooldown'],
    ])('refuses the former flat option %s at boot, naming where it went', (former, value, current) => {
      const error = configurationError(() => resolve({ [former]: value }));
      expect(error.option).toBe(former);
      expect(error.message).toContain(`has moved to ${current}`);
      // The message names options, never their values (a secret, a key).
      expect(error.message).not.toContain(CACHE_SECRET);
      expect(error.message).not.toContain('BEGIN');
    });

    it('refuses a store given as cache, pointing to cache.store', () => {
      const error = configurationError(() => resolve({ cache: new Keyv() }));
      expect(error.option).toBe('cache');
      expect(error.message).toContain('cache.store');
    });

    it.each(['cache', 'transport', 'breaker'])('refuses a %s group that is not an object', (group) => {
      for (const value of ['30s', 5, ['30s']]) {
        const error = configurationError(() => resolve({ [group]: value }));
        expect(error.option).toBe(group);
        expect(error.message).toContain('must be an object such as');
      }
    });

    it('reads every group into the resolved options', () => {
      const resolved = resolve({
        cache: { ttl: '30s', negativeTtl: '2s', maxEntries: 50, timeout: '20ms', staleIfError: '1m' },
        transport: { timeout: '2s', retries: 2, retryBackoff: '10ms', maxResponseBytes: 1024 },
        breaker: { threshold: 3, cooldown: '4s' },
      });
      expect(resolved).toMatchObject({
        ttlMs: 30_000,
        negativeTtlMs: 2_000,
        cacheMaxEntries: 50,
        cacheTimeoutMs: 20,
        staleIfErrorMs: 60_000,
        timeoutMs: 2_000,
        retries: 2,
        retryBackoffMs: 10,
        maxResponseBytes: 1024,
        circuitBreakerThreshold: 3,
        circuitBreakerCooldownMs: 4_000,
      });
    });
  });

  describe('resilience', () => {
    it.each<[string, unknown, string]>([
      ['transport.retries', -1, 'at least 0'],
      ['transport.retries', 1.5, 'at least 0'],
      ['transport.retries', '1', 'at least 0'],
      ['transport.retries', 6, 'at most 5'],
      ['transport.retryBackoff', 'soon', 'not a duration'],
      ['transport.retryBackoff', -1, 'at least 0'],
      ['breaker.threshold', -3, 'at least 0'],
      ['breaker.cooldown', 0, 'positive'],
      ['breaker.cooldown', 'later', 'not a duration'],
      ['cache.staleIfError', -5, 'at least 0'],
      ['cache.localTtl', -1, 'at least 0'],
      ['cache.localTtl', 'briefly', 'not a duration'],
    ])('refuses %s = %p', (option, value, message) => {
      const error = configurationError(() => resolve(optionAt(option, value, { cache: { ttl: '10s' } })));
      expect(error.option).toBe(option);
      expect(error.message).toContain(message);
    });

    it('takes cache.localTtl 0, which turns the in-process tier off', () => {
      expect(resolve({ cache: { ttl: '10s', localTtl: 0 } }).cacheLocalTtlMs).toBe(0);
    });

    it('refuses staleIfError without a cache', () => {
      const error = configurationError(() => resolve({ cache: { staleIfError: '1m' } }));
      expect(error.option).toBe('cache.staleIfError');
      expect(error.message).toContain('set cache.ttl');
    });
  });

  it.each([
    ['wsAuthPayloadField', 42],
    ['rpcAuthorizationExtractor', 'authorization'],
  ])('refuses a %s that is not of the right type, naming it', (option, value) => {
    expect(configurationError(() => resolve({ [option]: value })).option).toBe(option);
  });

  it('treats null and empty strings of optional string options as unset', () => {
    const resolved = resolve({
      issuer: '',
      clientSecret: null,
      endpointAuthMethod: '',
      tokenTypeHint: null,
      realm: '',
    });
    expect(resolved.issuer).toBeUndefined();
    expect(resolved.clientSecret).toBeUndefined();
    expect(resolved.endpointAuthMethod).toBe('client_secret_basic');
    expect(resolved.tokenTypeHint).toBe('access_token');
    expect(resolved.realm).toBeUndefined();
  });

  it.each([null, undefined, 'https://as.example.com', 42, []])(
    'refuses %p as the options object',
    (options) => {
      const error = configurationError(() => resolveIntrospectionOptions(options));
      expect(error.option).toBe('options');
      expect(error.message).toContain('forRootAsync');
    },
  );

  it('prefixes messages with the option and its environment variable', () => {
    expect(configurationError(() => resolve({ cache: { ttl: 'soon' } })).message).toBe(
      'Invalid introspection configuration, option "cache.ttl" (env INTROSPECTION_TTL): "soon" is not a duration; use a number of seconds or a string such as "500ms", "90s" or "1m30s".',
    );
  });

  describe('endpoint', () => {
    it.each([
      ['https://as.example.com/token/introspection', 'https://as.example.com/token/introspection'],
      ['http://localhost:3000/introspect', 'http://localhost:3000/introspect'],
      ['https://as.example.com', 'https://as.example.com/'],
      ['HTTPS://AS.example.com:443/introspect?tenant=a', 'https://as.example.com/introspect?tenant=a'],
    ])('accepts %p as %p', (endpoint, expected) => {
      expect(resolve({ endpoint }).endpoint).toBe(expected);
    });

    it.each([undefined, null, ''])('is required (%p)', (endpoint) => {
      const error = configurationError(() => resolve({ endpoint }));
      expect(error.option).toBe('endpoint');
      expect(error.message).toContain('is required');
      expect(error.message).toContain('INTROSPECTION_ENDPOINT');
    });

    it('must be a string', () => {
      const error = configurationError(() => resolve({ endpoint: 42 }));
      expect(error.option).toBe('endpoint');
      expect(error.message).toContain('must be a URL string');
    });

    it.each(['as.example.com/introspect', '/token/introspection', 'not a url'])(
      'must be an absolute URL (%p)',
      (endpoint) => {
        const error = configurationError(() => resolve({ endpoint }));
        expect(error.option).toBe('endpoint');
        expect(error.message).toContain('not a valid absolute URL');
      },
    );

    it.each([
      ['ftp://as.example.com/introspect', 'ftp:'],
      ['file:///etc/passwd', 'file:'],
      ['ws://as.example.com/introspect', 'ws:'],
      ['javascript:alert(1)', 'javascript:'],
    ])('must be http(s), not %p', (endpoint, protocol) => {
      const error = configurationError(() => resolve({ endpoint }));
      expect(error.option).toBe('endpoint');
      expect(error.message).toContain(`must be an http(s) URL, not "${protocol}"`);
    });

    it.each([
      `https://orders-api:${SECRET}@as.example.com/introspect`,
      `https://${SECRET}@as.example.com/introspect`,
      `https://:${SECRET}@as.example.com/introspect`,
    ])('must not carry credentials, and does not repeat them (%p)', (endpoint) => {
      const error = configurationError(() => resolve({ endpoint }));
      expect(error.option).toBe('endpoint');
      expect(error.message).toContain('must not contain credentials');
      expect(error.message).not.toContain(SECRET);
    });

    it.each(['#section', '#'])('must not carry a fragment (%p)', (fragment) => {
      const error = configurationError(() => resolve({ endpoint: `${ENDPOINT}${fragment}` }));
      expect(error.option).toBe('endpoint');
      expect(error.message).toContain('must not contain a fragment');
    });
  });

  describe('clientId', () => {
    it.each([undefined, null, ''])('is required (%p)', (clientId) => {
      const error = configurationError(() => resolve({ clientId }));
      expect(error.option).toBe('clientId');
      expect(error.message).toContain('(env INTROSPECTION_CLIENT_ID): is required.');
    });

    it('must be a string', () => {
      const error = configurationError(() => resolve({ clientId: 7 }));
      expect(error.option).toBe('clientId');
      expect(error.message).toContain('must be a string, got number.');
    });
  });

  describe('clientSecret', () => {
    it('is optional (the configured client auth strategy decides)', () => {
      expect(resolve().clientSecret).toBeUndefined();
    });

    it('is kept byte-exact', () => {
      expect(resolve({ clientSecret: ' p:a%s+s wörd ' }).clientSecret).toBe(' p:a%s+s wörd ');
    });

    it.each([
      ['a number', 987_654_321, '987654321'],
      ['an array', [SECRET], SECRET],
      ['an object', { value: SECRET }, SECRET],
      ['an object with toString', { toString: () => SECRET }, SECRET],
      ['a Buffer', Buffer.from(SECRET), SECRET],
    ])('refuses %s without repeating the value', (_kind, clientSecret, shown) => {
      const error = configurationError(() => resolve({ clientSecret }));
      expect(error.option).toBe('clientSecret');
      expect(error.message).toBe(
        'Invalid introspection configuration, option "clientSecret" (env INTROSPECTION_CLIENT_SECRET): must be a string.',
      );
      expect(error.message).not.toContain(shown);
    });

    it.each([
      ['endpoint', { endpoint: 'ftp://as.example.com' }],
      ['cache.ttl', { cache: { ttl: 'soon' } }],
      ['realm', { realm: 'a"b' }],
      ['audience', { audience: [''] }],
    ])('is not repeated in an error about %s', (option, overrides) => {
      const error = configurationError(() => resolve({ clientSecret: SECRET, ...overrides }));
      expect(error.option).toBe(option);
      expect(error.message).not.toContain(SECRET);
    });
  });

  describe.each(['issuer', 'endpointAuthMethod', 'tokenTypeHint'])('%s', (option) => {
    it('must be a string', () => {
      const error = configurationError(() => resolve({ [option]: true }));
      expect(error.option).toBe(option);
      expect(error.message).toContain('must be a string, got boolean.');
    });
  });

  describe('cache.ttl', () => {
    it.each([
      [undefined, 0],
      [null, 0],
      ['', 0],
      [0, 0],
      ['0s', 0],
      [-5, 0],
      ['-1s', 0],
      [30, 30_000],
      ['30', 30_000],
      ['30s', 30_000],
      ['1m30s', 90_000],
      ['500ms', 500],
    ])('%p -> ttlMs %p (absent or non-positive disables caching)', (ttl, ttlMs) => {
      expect(resolve({ cache: { ttl: ttl } }).ttlMs).toBe(ttlMs);
    });

    it.each([
      ['soon', '"soon" is not a duration'],
      ['1d', '"1d" is not a duration'],
      [Number.NaN, 'number is not a duration'],
      [true, 'boolean is not a duration'],
    ])('refuses %p', (ttl, message) => {
      const error = configurationError(() => resolve({ cache: { ttl: ttl } }));
      expect(error.option).toBe('cache.ttl');
      expect(error.message).toContain(message);
    });
  });

  describe('transport.timeout', () => {
    it.each([
      [undefined, 5_000],
      [null, 5_000],
      ['', 5_000],
      [10, 10_000],
      ['1.5s', 1_500],
      ['250ms', 250],
    ])('%p -> timeoutMs %p', (timeout, timeoutMs) => {
      expect(resolve({ transport: { timeout: timeout } }).timeoutMs).toBe(timeoutMs);
    });

    it.each([
      ['1.1s', 1_100],
      [0.001, 1],
      ['1000us', 1],
      ['0.3s', 300],
    ])('%p -> timeoutMs %p, exactly', (timeout, timeoutMs) => {
      expect(resolve({ transport: { timeout: timeout } }).timeoutMs).toBe(timeoutMs);
    });

    it.each(['1.0005', '0.0001', 1.0005, '1500us', '1ms500us', '999us'])(
      'refuses %p: a fraction of a millisecond cannot be honoured',
      (timeout) => {
        const error = configurationError(() => resolve({ transport: { timeout: timeout } }));
        expect(error.option).toBe('transport.timeout');
        expect(error.message).toContain('must be a whole number of milliseconds');
      },
    );

    it.each([
      'cache.ttl',
      'cache.timeout',
      'transport.retryBackoff',
      'breaker.cooldown',
      'cache.staleIfError',
      'clockTolerance',
    ])('refuses a fractional millisecond in %s too, naming it', (option) => {
      const error = configurationError(() => resolve(optionAt(option, '2.5ms')));
      expect(error.option).toBe(option);
      expect(error.message).toContain('must be a whole number of milliseconds');
    });

    it.each(['forever', '5 s', Number.POSITIVE_INFINITY, {}])('refuses %p as not a duration', (timeout) => {
      const error = configurationError(() => resolve({ transport: { timeout: timeout } }));
      expect(error.option).toBe('transport.timeout');
      expect(error.message).toContain('is not a duration');
    });

    it.each(['597h', 2 ** 31])('refuses %p, longer than a timer can hold', (timeout) => {
      const error = configurationError(() => resolve({ transport: { timeout: timeout } }));
      expect(error.option).toBe('transport.timeout');
      expect(error.message).toContain('at most 596h');
    });

    it('accepts 596h, the longest a timer can hold', () => {
      expect(resolve({ transport: { timeout: '596h' } }).timeoutMs).toBe(596 * 3_600_000);
    });

    it.each([0, '0s', -1, '-1s'])('refuses the non-positive %p', (timeout) => {
      const error = configurationError(() => resolve({ transport: { timeout: timeout } }));
      expect(error.option).toBe('transport.timeout');
      expect(error.message).toContain('must be a positive duration');
    });
  });

  describe('clockTolerance', () => {
    it.each([
      [undefined, 5_000],
      [null, 5_000],
      [0, 0],
      ['0s', 0],
      [30, 30_000],
      ['1m', 60_000],
    ])('%p -> clockToleranceMs %p', (clockTolerance, clockToleranceMs) => {
      expect(resolve({ clockTolerance }).clockToleranceMs).toBe(clockToleranceMs);
    });

    it.each(['a while', '5 seconds', false])('refuses %p as not a duration', (clockTolerance) => {
      const error = configurationError(() => resolve({ clockTolerance }));
      expect(error.option).toBe('clockTolerance');
      expect(error.message).toContain('is not a duration');
    });

    it.each([-1, '-1s', '-500ms', '5m1s', '8760h', 301])('refuses %p, outside 0 to 5m', (clockTolerance) => {
      const error = configurationError(() => resolve({ clockTolerance }));
      expect(error.option).toBe('clockTolerance');
      expect(error.message).toContain('must be between 0 and 5m');
    });

    it('accepts the bound, 5m', () => {
      expect(resolve({ clockTolerance: '5m' }).clockToleranceMs).toBe(300_000);
    });
  });

  describe('realm', () => {
    it.each(['orders', 'Orders API', "api!#$%&'()*+,-./:;<=>?@[]^_`{|}~"])('accepts %p', (realm) => {
      expect(resolve({ realm }).realm).toBe(realm);
    });

    it.each([
      ['a double quote', 'orders "api"'],
      ['a backslash', 'orders\\api'],
      ['a line break', 'orders\r\nX-Injected: 1'],
      ['a tab', 'orders\tapi'],
      ['non-ASCII', 'bestellungen-ä'],
    ])('refuses %s', (_kind, realm) => {
      const error = configurationError(() => resolve({ realm }));
      expect(error.option).toBe('realm');
      expect(error.message).toContain('printable ASCII only, without double quotes or backslashes');
    });

    it('must be a string', () => {
      expect(configurationError(() => resolve({ realm: 1 })).option).toBe('realm');
    });
  });

  describe('audience', () => {
    it.each([
      [undefined, []],
      [null, []],
      ['orders-api', ['orders-api']],
      [['orders-api'], ['orders-api']],
      [
        ['orders-api', 'https://api.example.com'],
        ['orders-api', 'https://api.example.com'],
      ],
    ])('%p -> %p', (audience, expected) => {
      expect(resolve({ audience }).audience).toStrictEqual(expected);
    });

    it('refuses an empty list, which would turn the audience check off', () => {
      const error = configurationError(() => resolve({ audience: [] }));
      expect(error.option).toBe('audience');
      expect(error.message).toContain('lists no audience');
    });

    it.each([[''], ['  '], [['']], [['orders-api', '']], [42], [[42]], [['orders-api', null]], [{}], [true]])(
      'refuses %p',
      (audience) => {
        const error = configurationError(() => resolve({ audience }));
        expect(error.option).toBe('audience');
        expect(error.message).toContain('must be a non-empty string or an array of them');
      },
    );
  });

  describe('allowMissingTokenType', () => {
    it.each([
      [undefined, false],
      [null, false],
      [false, false],
      [true, true],
    ])('%p -> %p', (allowMissingTokenType, expected) => {
      expect(resolve({ allowMissingTokenType }).allowMissingTokenType).toBe(expected);
    });

    it.each(['true', 'false', 1, 0, ''])('refuses the non-boolean %p', (allowMissingTokenType) => {
      const error = configurationError(() => resolve({ allowMissingTokenType }));
      expect(error.option).toBe('allowMissingTokenType');
      expect(error.message).toContain('must be true or false');
    });
  });

  describe.each([
    ['maxTokenLength', 4096],
    ['transport.maxResponseBytes', 65_536],
  ])('%s', (option, fallback) => {
    it.each([
      [undefined, fallback],
      [null, fallback],
      [1, 1],
      [8192, 8192],
    ])('%p -> %p', (value, expected) => {
      const resolvedName = option === 'maxTokenLength' ? 'maxTokenLength' : 'maxResponseBytes';
      expect(resolve(optionAt(option, value))[resolvedName]).toBe(expected);
    });

    it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '100', true])(
      'refuses %p',
      (value) => {
        const error = configurationError(() => resolve(optionAt(option, value)));
        expect(error.option).toBe(option);
        expect(error.message).toContain('must be a positive whole number');
      },
    );
  });
  describe('cache options', () => {
    it.each([
      [{ cache: { ttl: '60s' } }, 10_000],
      [{ cache: { ttl: '60s', negativeTtl: '2s' } }, 2_000],
      [{ cache: { ttl: '5s', negativeTtl: '30s' } }, 5_000],
      [{ cache: { ttl: '60s', negativeTtl: 0 } }, 0],
      [{ cache: { ttl: '60s', negativeTtl: '-1s' } }, 0],
      [{ cache: { ttl: 0, negativeTtl: '30s' } }, 0],
    ])('%p -> negativeTtlMs %p (never above ttl)', (options, negativeTtlMs) => {
      expect(resolve(options).negativeTtlMs).toBe(negativeTtlMs);
    });

    it.each([
      ['cache.negativeTtl', { cache: { negativeTtl: 'often' } }, 'is not a duration'],
      ['cache.timeout', { cache: { timeout: 0 } }, 'must be a positive duration'],
      ['cache.timeout', { cache: { timeout: '597h' } }, 'must be a positive duration'],
      ['cache.maxEntries', { cache: { maxEntries: 0 } }, 'must be a positive whole number'],
      ['cache.maxEntries', { cache: { maxEntries: 1.5 } }, 'must be a positive whole number'],
      ['cache.maxEntries', { cache: { maxEntries: 16_777_217 } }, 'must be at most 16777216'],
      ['cache.maxEntries', { cache: { maxEntries: 2 ** 40 } }, 'must be at most 16777216'],
      ['cache.url', { cache: { url: 'localhost:6379' } }, 'must be a redis:// or rediss:// URL'],
      ['cache.url', { cache: { url: 'http://127.0.0.1:6379' } }, 'must be a redis:// or rediss:// URL'],
      ['cache.url', { cache: { url: 'redis://' } }, 'must name the Redis host'],
      ['cache.url', { cache: { url: 'not a url' } }, 'is not a valid URL'],
      ['cache.store', { cache: { store: { get: () => undefined } } }, 'must be a cache-manager Cache'],
      ['cache.store', { cache: { store: 'redis://127.0.0.1' } }, 'must be a cache-manager Cache'],
      ['cache', { cache: 'redis://127.0.0.1' }, 'must be an object such as'],
    ])('refuses a bad %s', (option, options, message) => {
      const error = configurationError(() => resolve(options));
      expect(error.option).toBe(option);
      expect(error.message).toContain(message);
    });

    it('never shows a cache URL, which may hold a password, in its errors', () => {
      const error = configurationError(() =>
        resolve({ cache: { url: 'http://user:hunter2@redis.internal' } }),
      );
      expect(error.message).not.toContain('hunter2');
    });
  });

  describe('discovery, JWT and compatibility options', () => {
    it('needs no endpoint when the issuer is set, and then discovers', () => {
      const resolved = resolveIntrospectionOptions({ issuer: 'https://as.example.com', clientId: 'api' });
      expect(resolved.endpoint).toBeUndefined();
      expect(resolved.discovery).toBe(true);
    });

    it('asks for the endpoint or the issuer when neither is set', () => {
      const error = configurationError(() => resolveIntrospectionOptions({ clientId: 'api' }));
      expect(error.option).toBe('endpoint');
      expect(error.message).toMatch(/or set issuer to discover it/);
    });

    it('discovers only the JWK Set when the endpoint is set but JWTs need keys', () => {
      expect(resolve({ issuer: 'https://as.example.com', responseFormat: 'jwt' }).discovery).toBe(true);
      expect(
        resolve({
          issuer: 'https://as.example.com',
          responseFormat: 'jwt',
          jwksUri: 'https://as.example.com/jwks',
        }).discovery,
      ).toBe(false);
      expect(resolve({ issuer: 'https://as.example.com' }).discovery).toBe(false);
    });

    it.each([
      ['responseFormat "jwt" without issuer', { responseFormat: 'jwt' }, 'issuer', /iss/],
      ['jwt without issuer', { jwt: { audience: 'api' } }, 'issuer', /iss/],
      ['an unknown responseFormat', { responseFormat: 'xml' }, 'responseFormat', /"json", "jwt"/],
      ['an issuer with a query', { issuer: 'https://as.example.com?a=1' }, 'issuer', /query/],
      ['an issuer that is not a URL', { issuer: 'as.example.com' }, 'issuer', /absolute URL/],
      ['a jwksUri that is not http(s)', { jwksUri: 'file:///keys' }, 'jwksUri', /http\(s\)/],
      [
        'alg none for responses',
        { responseSigningAlgorithms: ['none'] },
        'responseSigningAlgorithms',
        /not allowed/,
      ],
      [
        'HS256 for responses',
        { responseSigningAlgorithms: ['RS256', 'HS256'] },
        'responseSigningAlgorithms',
        /not allowed/,
      ],
      [
        'HS512 for access tokens',
        { issuer: 'https://as', jwt: { audience: 'api', algorithms: ['HS512'] } },
        'jwt.algorithms',
        /not allowed/,
      ],
      ['a jwt block without audience', { issuer: 'https://as', jwt: {} }, 'jwt.audience', /required/],
      ['an unknown method', { method: 'PUT' }, 'method', /"POST", "GET"/],
      [
        'a requestParams replacing the token',
        { requestParams: { token: 'x' } },
        'requestParams',
        /cannot be replaced/,
      ],
      [
        'a requestParams replacing client_secret',
        { requestParams: { client_secret: 'x' } },
        'requestParams',
        /cannot be replaced/,
      ],
      [
        'a requestParams value that is not a string',
        { requestParams: { a: 1 } },
        'requestParams',
        /must be a string/,
      ],
      [
        'a requestHeaders replacing Authorization',
        { requestHeaders: { authorization: 'x' } },
        'requestHeaders',
        /cannot be replaced/,
      ],
      [
        'a requestHeaders replacing Accept',
        { requestHeaders: { Accept: 'text/html' } },
        'requestHeaders',
        /cannot be replaced/,
      ],
      [
        'a header value with a line break',
        { requestHeaders: { 'X-A': 'a\r\nX-B: b' } },
        'requestHeaders',
        /not a valid header/,
      ],
      [
        'a jwtResponseValidator that is not a function',
        { jwtResponseValidator: 'yes' },
        'jwtResponseValidator',
        /function/,
      ],
      [
        'a too short discoveryRefreshInterval',
        { discoveryRefreshInterval: '10ms' },
        'discoveryRefreshInterval',
        /between 1s/,
      ],
    ])('refuses %s, naming the option', (_label, overrides, option, message) => {
      const error = configurationError(() => resolve(overrides));
      expect(error.option).toBe(option);
      expect(error.message).toMatch(message);
    });

    it.each(['client_secret_post', 'client_secret_jwt', 'private_key_jwt'])(
      'refuses method GET with %s, whose credentials would go into the URL',
      (endpointAuthMethod) => {
        const error = configurationError(() => resolve({ method: 'GET', endpointAuthMethod }));
        expect(error.option).toBe('method');
        expect(error.message).toContain(endpointAuthMethod);
      },
    );

    it('accepts method GET with client_secret_basic', () => {
      expect(resolve({ method: 'GET' }).method).toBe('GET');
    });

    it('refuses a responseDecryptionKey that is not a key without quoting it', () => {
      const error = configurationError(() => resolve({ responseDecryptionKey: 'KEY-MATERIAL-1234' }));
      expect(error.option).toBe('responseDecryptionKey');
      expect(error.message).toMatch(/not a private key/);
      expect(`${error.message}${String(error.stack)}`).not.toContain('KEY-MATERIAL-1234');
    });

    it('imports a PEM private key and a private JWK', () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      expect(resolve({ responseDecryptionKey: pem }).responseDecryptionKey?.type).toBe('private');
      const jwk = privateKey.export({ format: 'jwk' });
      expect(resolve({ responseDecryptionKey: jwk }).responseDecryptionKey?.type).toBe('private');
    });
  });
});

describe('resolveIntrospectionOptions: https for every URL the module calls', () => {
  const base = { endpoint: 'https://as.example.com/introspect', clientId: 'orders-api' };

  it.each([
    ['issuer', { issuer: 'http://as.example.com' }],
    ['jwksUri', { jwksUri: 'http://as.example.com/jwks' }],
    [
      'jwt.jwksUri',
      { issuer: 'https://as.example.com', jwt: { audience: 'api', jwksUri: 'http://keys.example.com' } },
    ],
  ])('refuses a plain-http %s on another machine', (option, overrides) => {
    let error: unknown;
    try {
      resolveIntrospectionOptions({ ...base, ...overrides });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(IntrospectionConfigurationError);
    expect((error as IntrospectionConfigurationError).option).toBe(option);
    expect((error as Error).message).toContain('must be an https URL');
  });

  it.each([
    [{ issuer: 'http://127.0.0.1:4000', jwksUri: 'http://localhost:4000/jwks' }],
    [
      {
        issuer: 'http://as.example.com',
        jwksUri: 'http://as.example.com/jwks',
        transport: { allowInsecureHttp: true },
      },
    ],
  ])('accepts plain http on loopback or with allowInsecureHttp (%p)', (overrides) => {
    expect(() => resolveIntrospectionOptions({ ...base, ...overrides })).not.toThrow();
  });

  it('accepts cacheMaxEntries up to the memory store bound, 16777216', () => {
    expect(resolve({ cache: { maxEntries: 16_777_216 } }).cacheMaxEntries).toBe(16_777_216);
  });

  describe('JWS algorithm names', () => {
    it.each(['RS256', 'PS384', 'ES512', 'EdDSA', 'Ed25519'])('accepts %s', (alg) => {
      expect(resolve({ responseSigningAlgorithms: [alg] }).responseSigningAlgorithms).toStrictEqual([alg]);
      expect(
        resolve({ issuer: 'https://as.example.com', jwt: { audience: 'orders-api', algorithms: [alg] } }).jwt
          ?.algorithms,
      ).toStrictEqual([alg]);
    });

    it.each(['RSA256', 'rs256', 'ES256K1', 'RS-256'])(
      'refuses the unknown %s, which would refuse every JWT',
      (alg) => {
        for (const [options, option] of [
          [{ responseSigningAlgorithms: [alg] }, 'responseSigningAlgorithms'],
          [
            { issuer: 'https://as.example.com', jwt: { audience: 'orders-api', algorithms: ['RS256', alg] } },
            'jwt.algorithms',
          ],
        ] as const) {
          const error = configurationError(() => resolve(options));
          expect(error.option).toBe(option);
          expect(error.message).toContain(`"${alg}" is not a known JWS algorithm`);
        }
      },
    );
  });

  describe('TLS material, parsed at boot', () => {
    it('accepts a CA, a client certificate and its key', () => {
      expect(resolve({ transport: { tls: TLS } }).tls).toStrictEqual(TLS);
    });

    it.each([
      ['ca', '/etc/ssl/private-ca.pem', 'looks like a file path'],
      ['ca', './certs/ca.crt', 'looks like a file path'],
      ['ca', 'garbage', 'holds no PEM certificate'],
      ['ca', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', 'cannot be parsed'],
      ['cert', 'client.crt', 'looks like a file path'],
      ['cert', 'garbage', 'holds no PEM certificate'],
      ['key', 'client.key', 'looks like a file path'],
      ['key', 'garbage', 'is not a PEM private key'],
    ])('refuses tls.%s %p, naming it without quoting it', (member, value, message) => {
      const error = configurationError(() => resolve({ transport: { tls: { ...TLS, [member]: value } } }));
      expect(error.option).toBe(`transport.tls.${member}`);
      expect(error.message).toContain(message);
      expect(error.message).not.toContain(value);
    });

    it('refuses a key that is not PEM text, without quoting any of it', () => {
      const error = configurationError(() =>
        resolve({
          transport: {
            tls: { ...TLS, key: PKI.clientKey.replace(/[A-Za-z0-9+/]{20}/, 'A'.repeat(20)).slice(0, 200) },
          },
        }),
      );
      expect(error.option).toBe('transport.tls.key');
      expect(error.message).not.toMatch(/BEGIN|[A-Za-z0-9+/]{40}/);
    });
  });
});

describe('URL options other than endpoint', () => {
  const ISSUER = 'https://as.example.com';

  it.each<[Record<string, unknown>, string]>([
    [{ issuer: 'https://user:pass@as.example.com' }, 'issuer'],
    [{ issuer: ISSUER, jwksUri: 'https://key:secret@as.example.com/jwks' }, 'jwksUri'],
    [
      { issuer: ISSUER, jwt: { audience: 'orders-api', jwksUri: 'https://key@as.example.com/jwks' } },
      'jwt.jwksUri',
    ],
  ])('refuse credentials in %p, like endpoint, without quoting them', (options, option) => {
    const error = configurationError(() => resolve(options));
    expect(error.option).toBe(option);
    expect(error.message).toContain('must not contain credentials');
    expect(error.message).not.toMatch(/pass|secret|key@/);
  });

  it('refuses a fragment in jwksUri', () => {
    const error = configurationError(() =>
      resolve({ issuer: ISSUER, jwksUri: 'https://as.example.com/jwks#k' }),
    );
    expect(error.option).toBe('jwksUri');
  });
});
