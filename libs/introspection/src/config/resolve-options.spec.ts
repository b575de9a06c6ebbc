import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { resolveIntrospectionOptions } from './resolve-options';

const ENDPOINT = 'https://as.example.com/token/introspection';
const SECRET = 'SECRET-MARKER-9c41e7';

/** The smallest valid options, with any option overridden or added. */
function resolve(overrides: Record<string, unknown> = {}) {
  return resolveIntrospectionOptions({ endpoint: ENDPOINT, clientId: 'orders-api', ...overrides });
}

/** Runs `fn`, expecting it to throw an IntrospectionConfigurationError, and returns that error. */
function configurationError(fn: () => unknown): IntrospectionConfigurationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(IntrospectionConfigurationError);
    return error as IntrospectionConfigurationError;
  }
  throw new Error('expected an IntrospectionConfigurationError, but nothing was thrown');
}

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
      cacheUrl: undefined,
      cache: undefined,
      cacheTimeoutMs: 100,
      tokenTypeHint: 'access_token',
      timeoutMs: 5_000,
      clockToleranceMs: 5_000,
      realm: undefined,
      audience: [],
      allowMissingTokenType: false,
      maxTokenLength: 4096,
      maxResponseBytes: 65_536,
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
        endpointAuthMethod: 'client_secret_post',
        ttl: '1m30s',
        negativeTtl: '2s',
        cacheMaxEntries: 50,
        cacheUrl: 'redis://127.0.0.1:6379',
        cacheTimeout: '250ms',
        tokenTypeHint: 'refresh_token',
        timeout: '500ms',
        clockTolerance: 0,
        realm: 'orders',
        audience: ['orders-api', 'payments-api'],
        allowMissingTokenType: true,
        maxTokenLength: 1024,
        maxResponseBytes: 2048,
        wsAuthPayloadField: 'token',
        rpcAuthorizationExtractor: extractor,
      }),
    ).toStrictEqual({
      endpoint: ENDPOINT,
      issuer: 'https://as.example.com',
      clientId: 'orders-api',
      clientSecret: SECRET,
      endpointAuthMethod: 'client_secret_post',
      ttlMs: 90_000,
      jwtSigningProfile: undefined,
      bearerToken: undefined,
      tokenEndpoint: undefined,
      tokenEndpointAuthMethod: 'client_secret_basic',
      tokenScope: undefined,
      negativeTtlMs: 2_000,
      cacheMaxEntries: 50,
      cacheUrl: 'redis://127.0.0.1:6379',
      cache: undefined,
      cacheTimeoutMs: 250,
      tokenTypeHint: 'refresh_token',
      timeoutMs: 500,
      clockToleranceMs: 0,
      realm: 'orders',
      audience: ['orders-api', 'payments-api'],
      allowMissingTokenType: true,
      maxTokenLength: 1024,
      maxResponseBytes: 2048,
      wsAuthPayloadField: 'token',
      rpcAuthorizationExtractor: extractor,
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
    expect(configurationError(() => resolve({ ttl: 'soon' })).message).toBe(
      'Invalid introspection configuration, option "ttl" (env INTROSPECTION_TTL): "soon" is not a duration; use a number of seconds or a string such as "500ms", "90s" or "1m30s".',
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
      ['ttl', { ttl: 'soon' }],
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

  describe('ttl', () => {
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
      expect(resolve({ ttl }).ttlMs).toBe(ttlMs);
    });

    it.each([
      ['soon', '"soon" is not a duration'],
      ['1d', '"1d" is not a duration'],
      [Number.NaN, 'number is not a duration'],
      [true, 'boolean is not a duration'],
    ])('refuses %p', (ttl, message) => {
      const error = configurationError(() => resolve({ ttl }));
      expect(error.option).toBe('ttl');
      expect(error.message).toContain(message);
    });
  });

  describe('timeout', () => {
    it.each([
      [undefined, 5_000],
      [null, 5_000],
      ['', 5_000],
      [10, 10_000],
      ['1.5s', 1_500],
      ['250ms', 250],
    ])('%p -> timeoutMs %p', (timeout, timeoutMs) => {
      expect(resolve({ timeout }).timeoutMs).toBe(timeoutMs);
    });

    it.each(['forever', '5 s', Number.POSITIVE_INFINITY, {}])('refuses %p as not a duration', (timeout) => {
      const error = configurationError(() => resolve({ timeout }));
      expect(error.option).toBe('timeout');
      expect(error.message).toContain('is not a duration');
    });

    it.each(['597h', 2 ** 31])('refuses %p, longer than a timer can hold', (timeout) => {
      const error = configurationError(() => resolve({ timeout }));
      expect(error.option).toBe('timeout');
      expect(error.message).toContain('at most 596h');
    });

    it('accepts 596h, the longest a timer can hold', () => {
      expect(resolve({ timeout: '596h' }).timeoutMs).toBe(596 * 3_600_000);
    });

    it.each([0, '0s', -1, '-1s'])('refuses the non-positive %p', (timeout) => {
      const error = configurationError(() => resolve({ timeout }));
      expect(error.option).toBe('timeout');
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

    it.each([-1, '-1s', '-500ms'])('refuses the negative %p', (clockTolerance) => {
      const error = configurationError(() => resolve({ clockTolerance }));
      expect(error.option).toBe('clockTolerance');
      expect(error.message).toContain('must not be negative');
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
      [[], []],
      [['orders-api'], ['orders-api']],
      [
        ['orders-api', 'https://api.example.com'],
        ['orders-api', 'https://api.example.com'],
      ],
    ])('%p -> %p', (audience, expected) => {
      expect(resolve({ audience }).audience).toStrictEqual(expected);
    });

    it.each([[''], [['']], [['orders-api', '']], [42], [[42]], [['orders-api', null]], [{}], [true]])(
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
    ['maxResponseBytes', 65_536],
  ])('%s', (option, fallback) => {
    it.each([
      [undefined, fallback],
      [null, fallback],
      [1, 1],
      [8192, 8192],
    ])('%p -> %p', (value, expected) => {
      expect(resolve({ [option]: value })[option as 'maxTokenLength' | 'maxResponseBytes']).toBe(expected);
    });

    it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '100', true])(
      'refuses %p',
      (value) => {
        const error = configurationError(() => resolve({ [option]: value }));
        expect(error.option).toBe(option);
        expect(error.message).toContain('must be a positive whole number');
      },
    );
  });
  describe('cache options', () => {
    it.each([
      [{ ttl: '60s' }, 10_000],
      [{ ttl: '60s', negativeTtl: '2s' }, 2_000],
      [{ ttl: '5s', negativeTtl: '30s' }, 5_000],
      [{ ttl: '60s', negativeTtl: 0 }, 0],
      [{ ttl: '60s', negativeTtl: '-1s' }, 0],
      [{ ttl: 0, negativeTtl: '30s' }, 0],
    ])('%p -> negativeTtlMs %p (never above ttl)', (options, negativeTtlMs) => {
      expect(resolve(options).negativeTtlMs).toBe(negativeTtlMs);
    });

    it.each([
      ['negativeTtl', { negativeTtl: 'often' }, 'is not a duration'],
      ['cacheTimeout', { cacheTimeout: 0 }, 'must be a positive duration'],
      ['cacheTimeout', { cacheTimeout: '597h' }, 'must be a positive duration'],
      ['cacheMaxEntries', { cacheMaxEntries: 0 }, 'must be a positive whole number'],
      ['cacheMaxEntries', { cacheMaxEntries: 1.5 }, 'must be a positive whole number'],
      ['cacheUrl', { cacheUrl: 'localhost:6379' }, 'must be a redis:// or rediss:// URL'],
      ['cacheUrl', { cacheUrl: 'http://127.0.0.1:6379' }, 'must be a redis:// or rediss:// URL'],
      ['cacheUrl', { cacheUrl: 'redis://' }, 'must name the Redis host'],
      ['cacheUrl', { cacheUrl: 'not a url' }, 'is not a valid URL'],
      ['cache', { cache: { get: () => undefined } }, 'must be a cache-manager Cache'],
      ['cache', { cache: 'redis://127.0.0.1' }, 'must be a cache-manager Cache'],
    ])('refuses a bad %s', (option, options, message) => {
      const error = configurationError(() => resolve(options));
      expect(error.option).toBe(option);
      expect(error.message).toContain(message);
    });

    it('never shows a cache URL, which may hold a password, in its errors', () => {
      const error = configurationError(() => resolve({ cacheUrl: 'http://user:hunter2@redis.internal' }));
      expect(error.message).not.toContain('hunter2');
    });
  });
});
