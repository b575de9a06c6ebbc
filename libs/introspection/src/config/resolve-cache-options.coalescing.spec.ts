import { Keyv } from 'keyv';
import { thrown } from '../../test-support/thrown';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { parseIntrospectionEnv } from './introspection-env';
import { resolveIntrospectionOptions } from './resolve-options';

const CACHE_SECRET = 'CACHE-SECRET-MARKER-0123456789abcdef';
const SHARED = { ttl: '30s', url: 'redis://127.0.0.1:6379', secret: CACHE_SECRET };

function resolve(cache: Record<string, unknown>) {
  return resolveIntrospectionOptions({
    endpoint: 'https://as.example.com/introspect',
    clientId: 'api',
    cache,
  });
}

const configurationError = (fn: () => unknown) => thrown(IntrospectionConfigurationError, fn);

describe('cache.coalescing', () => {
  it('is local by default, with or without a shared store', () => {
    expect(resolve({}).cacheCoalescing).toBe('local');
    expect(resolve(SHARED).cacheCoalescing).toBe('local');
    expect(resolve({ ...SHARED, coalescing: null }).cacheCoalescing).toBe('local');
  });

  it.each(['local', 'distributed'])('takes %p with cache.url and cache.ttl', (coalescing) => {
    expect(resolve({ ...SHARED, coalescing }).cacheCoalescing).toBe(coalescing);
  });

  it.each(['fleet', 'Distributed', 1, true, {}])(
    'refuses %p, naming the option and its variable',
    (coalescing) => {
      const error = configurationError(() => resolve({ ...SHARED, coalescing }));
      expect(error.option).toBe('cache.coalescing');
      expect(error.message).toBe(
        'Invalid introspection configuration, option "cache.coalescing" (env INTROSPECTION_CACHE_COALESCING): must be "local" or "distributed".',
      );
    },
  );

  it('refuses distributed without cache.url, also with a store of the user own', () => {
    for (const cache of [
      { ttl: '30s', coalescing: 'distributed' },
      { ttl: '30s', store: new Keyv(), secret: CACHE_SECRET, coalescing: 'distributed' },
    ]) {
      const error = configurationError(() => resolve(cache));
      expect(error.option).toBe('cache.coalescing');
      expect(error.message).toContain('INTROSPECTION_CACHE_COALESCING');
      expect(error.message).toContain('set cache.url');
    }
  });

  it('refuses distributed without the cache (ttl 0)', () => {
    const error = configurationError(() =>
      resolve({ url: 'redis://127.0.0.1:6379', coalescing: 'distributed' }),
    );
    expect(error.option).toBe('cache.coalescing');
    expect(error.message).toContain('set cache.ttl');
  });

  it('is read from INTROSPECTION_CACHE_COALESCING, in any case', () => {
    const options = parseIntrospectionEnv({
      INTROSPECTION_ENDPOINT: 'https://as.example.com/introspect',
      INTROSPECTION_CLIENT_ID: 'api',
      INTROSPECTION_TTL: '30s',
      INTROSPECTION_CACHE_URL: 'redis://127.0.0.1:6379',
      INTROSPECTION_CACHE_SECRET: CACHE_SECRET,
      INTROSPECTION_CACHE_COALESCING: ' DISTRIBUTED ',
    });
    expect(options.cache?.coalescing).toBe('distributed');
    expect(resolveIntrospectionOptions(options).cacheCoalescing).toBe('distributed');
    const bad = parseIntrospectionEnv({ INTROSPECTION_CACHE_COALESCING: 'everywhere' });
    expect(
      configurationError(() =>
        resolveIntrospectionOptions({ ...bad, endpoint: 'https://as.example.com/i', clientId: 'api' }),
      ).option,
    ).toBe('cache.coalescing');
  });
});
