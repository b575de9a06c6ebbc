import { thrown } from '../../test-support/thrown';
import { mergeOptions } from '../../test-support/option-at';
import { Keyv } from 'keyv';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { resolveIntrospectionOptions } from './resolve-options';

const SECRET = 'CACHE-SECRET-MARKER-0123456789abcdef';
const OLD_SECRET = 'OLD-CACHE-SECRET-MARKER-0123456789ab';

function resolve(overrides: Record<string, unknown> = {}) {
  return resolveIntrospectionOptions(
    mergeOptions(
      {
        endpoint: 'https://as.example.com/introspect',
        clientId: 'orders-api',
        cache: { ttl: '60s' },
      },
      overrides,
    ),
  );
}

const configurationError = (fn: () => unknown) => thrown(IntrospectionConfigurationError, fn);

describe('cache secrets', () => {
  it.each<[string, Record<string, unknown>]>([
    ['cache.url', { cache: { url: 'redis://127.0.0.1:6379' } }],
    ['cache.store', { cache: { store: new Keyv() } }],
  ])('are required with %s, naming the option and what it is for', (store, options) => {
    const error = configurationError(() => resolve(options));
    expect(error.option).toBe('cache.secret');
    expect(error.message).toContain('INTROSPECTION_CACHE_SECRET');
    expect(error.message).toContain(`is required with ${store}`);
  });

  it('are not required when the cache is off, or in memory', () => {
    expect(() => resolve({ cache: { ttl: 0, url: 'redis://127.0.0.1:6379' } })).not.toThrow();
    expect(() => resolve()).not.toThrow();
  });

  it('are random per process for the in-memory store: 32 bytes, never the same twice', () => {
    const first = resolve().cacheSecret;
    const second = resolve().cacheSecret;
    expect(first.symmetricKeySize).toBe(32);
    expect(first.export().equals(second.export())).toBe(false);
  });

  it('keeps the configured secrets as keys, never as strings', () => {
    const resolved = resolve({
      cache: { url: 'redis://127.0.0.1:6379', secret: SECRET, previousSecrets: OLD_SECRET },
    });
    expect(resolved.cacheSecret.export().toString()).toBe(SECRET);
    expect(resolved.cachePreviousSecrets.map((key) => key.export().toString())).toEqual([OLD_SECRET]);
    expect(JSON.stringify(resolved)).not.toContain(SECRET);
    expect(JSON.stringify(resolved)).not.toContain(OLD_SECRET);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a 31-byte cacheSecret', { cache: { secret: SECRET.slice(0, 31) } }, 'cache.secret'],
    ['a cacheSecret that is not a string', { cache: { secret: 42 } }, 'cache.secret'],
    [
      'a short previous secret',
      { cache: { previousSecrets: [OLD_SECRET, 'short-old-secret'] } },
      'cache.previousSecrets',
    ],
    [
      'a previous secret that is not a string',
      { cache: { previousSecrets: [null] } },
      'cache.previousSecrets',
    ],
  ])('refuse %s, naming the option and never quoting a secret', (_case, options, option) => {
    const error = configurationError(() =>
      resolve(mergeOptions({ cache: { url: 'redis://127.0.0.1:6379', secret: SECRET } }, options)),
    );
    expect(error.option).toBe(option);
    expect(error.message).toMatch(/at least 32 bytes|must be a string/);
    for (const secret of [SECRET, SECRET.slice(0, 31), OLD_SECRET, 'short-old-secret']) {
      expect(error.message).not.toContain(secret);
    }
  });

  it('count bytes, not characters', () => {
    // 16 characters, 32 bytes in UTF-8.
    expect(() => resolve({ cache: { secret: 'ü'.repeat(16) } })).not.toThrow();
    expect(() => resolve({ cache: { secret: 'u'.repeat(16) } })).toThrow(IntrospectionConfigurationError);
  });
});
