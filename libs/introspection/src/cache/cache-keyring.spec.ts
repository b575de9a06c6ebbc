import { createSecretKey } from 'node:crypto';
import { CacheKeyring, type CacheEntryContent, type CacheKeyScope } from './cache-keyring';

const SECRET = createSecretKey(Buffer.from('cache-secret-0123456789abcdef-0123'));
const OLD_SECRET = createSecretKey(Buffer.from('old-cache-secret-0123456789abcdef-'));
const scope: CacheKeyScope = {
  responseFormat: 'json',
  endpoint: 'https://as.example/introspect',
  clientId: 'api',
  requestParams: {},
};
const TOKEN = 'tok3n+/with=chars';
const HINT = 'access_token';
const entry: CacheEntryContent = {
  claims: '{"active":true,"scope":"read"}',
  storedAt: 1_800_000_000_000,
  expiresAt: 1_800_000_060_000,
};

const keyOf = (token: string, of: CacheKeyScope = scope, hint = HINT) =>
  new CacheKeyring([SECRET], of).key(token, hint);

describe('CacheKeyring', () => {
  describe('keys', () => {
    it('are stable for the same token, configuration and secret', () => {
      expect(keyOf(TOKEN)).toBe(keyOf(TOKEN, { ...scope }));
    });

    it('never contain the token, and are an HMAC, not a plain digest', () => {
      expect(keyOf(TOKEN)).not.toContain(TOKEN);
      expect(keyOf(TOKEN)).toMatch(/^introspection:v2:[A-Za-z0-9_-]{43}$/);
      expect(new CacheKeyring([OLD_SECRET], scope).key(TOKEN, HINT)).not.toBe(keyOf(TOKEN));
    });

    it.each<[string, string, CacheKeyScope, string]>([
      ['another token', 'other-token', scope, HINT],
      ['another token type hint', TOKEN, scope, 'refresh_token'],
      ['another endpoint', TOKEN, { ...scope, endpoint: 'https://other.example/introspect' }, HINT],
      ['a discovered endpoint', TOKEN, { ...scope, endpoint: undefined, issuer: 'https://as.example' }, HINT],
      ['another issuer', TOKEN, { ...scope, issuer: 'https://other.example' }, HINT],
      ['another client', TOKEN, { ...scope, clientId: 'other-api' }, HINT],
      ['signed (jwt) answers', TOKEN, { ...scope, responseFormat: 'jwt' }, HINT],
      ['other signing algorithms', TOKEN, { ...scope, responseSigningAlgorithms: ['ES256'] }, HINT],
      ['other request parameters', TOKEN, { ...scope, requestParams: { resource: 'https://api' } }, HINT],
      ['a named registration', TOKEN, { ...scope, namespace: 'partners' }, HINT],
    ])('differ for %s', (_case, token, other, hint) => {
      expect(keyOf(token, other, hint)).not.toBe(keyOf(TOKEN));
    });

    it('cannot be made to collide by moving characters between the hint and the token', () => {
      expect(keyOf('b', scope, 'a')).not.toBe(keyOf('', scope, 'ab'));
      expect(keyOf('"b', scope, 'a')).not.toBe(keyOf('b', scope, 'a"'));
    });

    it('do not depend on the order request parameters were given in', () => {
      const a = keyOf(TOKEN, { ...scope, requestParams: { a: '1', b: '2' } });
      expect(keyOf(TOKEN, { ...scope, requestParams: { b: '2', a: '1' } })).toBe(a);
    });

    it("put a named registration's entries under their own prefix", () => {
      expect(keyOf(TOKEN, { ...scope, namespace: 'part ners' })).toMatch(
        /^introspection:v2:part%20ners:[A-Za-z0-9_-]{43}$/,
      );
    });

    it('are made with each previous secret by generation, the current one first', () => {
      const keyring = new CacheKeyring([SECRET, OLD_SECRET], scope);
      expect(keyring.generations).toBe(2);
      expect(keyring.key(TOKEN, HINT)).toBe(keyOf(TOKEN));
      expect(keyring.key(TOKEN, HINT, 1)).toBe(new CacheKeyring([OLD_SECRET], scope).key(TOKEN, HINT));
    });
  });

  describe('MACs', () => {
    const keyring = new CacheKeyring([SECRET, OLD_SECRET], scope);
    const key = keyring.key(TOKEN, HINT);
    const mac = keyring.sign(key, entry);

    it('check out for the entry, under its key, by the current secret', () => {
      expect(keyring.verify(key, entry, mac, 0)).toBe(true);
      expect(keyring.verify(key, { ...entry }, mac, 0)).toBe(true);
    });

    it.each<[string, Partial<CacheEntryContent>]>([
      ['other claims', { claims: '{"active":true,"scope":"admin"}' }],
      ['another storedAt', { storedAt: entry.storedAt + 1 }],
      ['another expiresAt', { expiresAt: entry.expiresAt + 3_600_000 }],
      ['a staleUntil added', { staleUntil: entry.expiresAt + 3_600_000 }],
      ['a jwt added', { jwt: 'a.b.c' }],
    ])('fail for an entry with %s', (_case, change) => {
      expect(keyring.verify(key, { ...entry, ...change }, mac, 0)).toBe(false);
    });

    it('fail for the entry moved to another key, or checked by another secret', () => {
      expect(keyring.verify(keyring.key('other-token', HINT), entry, mac, 0)).toBe(false);
      expect(keyring.verify(key, entry, mac, 1)).toBe(false);
    });

    it('fail for the same entry and key under another registration, or another response format', () => {
      for (const other of [
        { ...scope, namespace: 'partners' },
        { ...scope, responseFormat: 'jwt' },
        { ...scope, clientId: 'other-api' },
      ]) {
        expect(new CacheKeyring([SECRET], other).verify(key, entry, mac, 0)).toBe(false);
      }
    });

    it('fail for a claims/jwt boundary moved', () => {
      const signed = { ...entry, claims: '{"active":true}', jwt: 'x' };
      const moved = { ...entry, claims: '{"active":true}x' };
      expect(keyring.verify(key, moved, keyring.sign(key, signed), 0)).toBe(false);
    });

    it.each(['', 'not base64 !!', mac.slice(0, -1), `${mac}AA`, 'A'.repeat(43)])(
      'fail, without throwing, for the MAC %p',
      (forged) => {
        expect(keyring.verify(key, entry, forged, 0)).toBe(false);
      },
    );
  });
});
