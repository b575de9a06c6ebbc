import { introspectionCacheKey } from './cache-key';

const scope = { endpoint: 'https://as.example/introspect', clientId: 'api', tokenTypeHint: 'access_token' };
const TOKEN = 'tok3n+/with=chars';

describe('introspectionCacheKey', () => {
  it('is stable for the same token and configuration', () => {
    expect(introspectionCacheKey(TOKEN, scope)).toBe(introspectionCacheKey(TOKEN, { ...scope }));
  });

  it('never contains the token', () => {
    expect(introspectionCacheKey(TOKEN, scope)).not.toContain(TOKEN);
    expect(introspectionCacheKey(TOKEN, scope)).toMatch(/^introspection:v1:[A-Za-z0-9_-]{43}$/);
  });

  it.each([
    ['another token', 'other-token', scope],
    ['another endpoint', TOKEN, { ...scope, endpoint: 'https://other.example/introspect' }],
    ['another client', TOKEN, { ...scope, clientId: 'other-api' }],
    ['another token type hint', TOKEN, { ...scope, tokenTypeHint: 'refresh_token' }],
  ])('differs for %s', (_case, token, other) => {
    expect(introspectionCacheKey(token, other)).not.toBe(introspectionCacheKey(TOKEN, scope));
  });

  it('cannot be made to collide by moving characters between fields', () => {
    const a = introspectionCacheKey('b', { ...scope, clientId: 'a' });
    const b = introspectionCacheKey('', { ...scope, clientId: 'ab' });
    expect(a).not.toBe(b);
  });

  it("puts a named registration's entries under their own prefix, with the same digest", () => {
    const plain = introspectionCacheKey(TOKEN, scope);
    const named = introspectionCacheKey(TOKEN, { ...scope, namespace: 'partners' });
    expect(named).toBe(plain.replace('introspection:v1:', 'introspection:v1:partners:'));
  });
});
