import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { resolveIntrospectionOptions } from '../config/resolve-options';
import type { ClientAuthRequest } from './client-auth-strategy.interface';
import { ClientSecretBasicStrategy } from './client-secret-basic.strategy';

const ENDPOINT = 'https://as.example.com/token/introspection';

function options(clientId: string, clientSecret?: string) {
  return resolveIntrospectionOptions({ endpoint: ENDPOINT, clientId, clientSecret });
}

function request(): ClientAuthRequest {
  return {
    endpoint: ENDPOINT,
    headers: {},
    body: new URLSearchParams({ token: 'abc', token_type_hint: 'access_token' }),
  };
}

/** Decodes a Basic header back to id and secret as RFC 6749 §2.3.1 says the server must. */
function decodeBasic(header: string): { id: string; secret: string; raw: string } {
  expect(header).toMatch(/^Basic [A-Za-z0-9+/]+=*$/);
  const raw = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
  const separator = raw.indexOf(':');
  const formDecode = (part: string) => new URLSearchParams(`v=${part}`).get('v');
  return { id: formDecode(raw.slice(0, separator))!, secret: formDecode(raw.slice(separator + 1))!, raw };
}

describe('ClientSecretBasicStrategy', () => {
  const strategy = new ClientSecretBasicStrategy();

  it('implements client_secret_basic', () => {
    expect(strategy.method).toBe('client_secret_basic');
  });

  it('sends id and secret in an Authorization: Basic header', () => {
    const req = request();
    strategy.authenticate(req, options('orders-api', 's3cret'));
    expect(req.headers).toStrictEqual({
      Authorization: `Basic ${Buffer.from('orders-api:s3cret').toString('base64')}`,
    });
  });

  it('leaves the body alone', () => {
    const req = request();
    strategy.authenticate(req, options('orders-api', 's3cret'));
    expect(req.body.toString()).toBe('token=abc&token_type_hint=access_token');
  });

  it('form-urlencodes the secret before base64 (RFC 6749 §2.3.1)', () => {
    const req = request();
    strategy.authenticate(req, options('orders-api', 'p:a%s+s wörd'));
    const { id, secret, raw } = decodeBasic(req.headers.Authorization);
    expect(raw).toBe('orders-api:p%3Aa%25s%2Bs+w%C3%B6rd');
    expect(id).toBe('orders-api');
    expect(secret).toBe('p:a%s+s wörd');
  });

  it.each([
    ['orders-api', 'p:a%s+s wörd'],
    ['client:with:colons', 'secret:with:colons'],
    ['client id+1', '100% "secret" & more=1'],
    ['ünïcödé', '🔑 key/slash?query#hash'],
  ])('round-trips id %p and secret %p', (clientId, clientSecret) => {
    const req = request();
    strategy.authenticate(req, options(clientId, clientSecret));
    const { id, secret, raw } = decodeBasic(req.headers.Authorization);
    // Exactly one ":" survives encoding: the separator.
    expect(raw.split(':')).toHaveLength(2);
    expect(id).toBe(clientId);
    expect(secret).toBe(clientSecret);
  });

  it('replaces the header on every call (retries)', () => {
    const req = request();
    strategy.authenticate(req, options('orders-api', 'first'));
    strategy.authenticate(req, options('orders-api', 'second'));
    expect(Object.keys(req.headers)).toStrictEqual(['Authorization']);
    expect(decodeBasic(req.headers.Authorization).secret).toBe('second');
  });

  describe('init', () => {
    it('accepts options with a client secret', () => {
      expect(strategy.init(options('orders-api', 's3cret'))).toBeUndefined();
    });

    it.each([undefined, ''])('refuses a missing client secret (%p), naming clientSecret', (clientSecret) => {
      let error: unknown;
      try {
        strategy.init(options('orders-api', clientSecret));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(IntrospectionConfigurationError);
      expect((error as IntrospectionConfigurationError).option).toBe('clientSecret');
      expect((error as IntrospectionConfigurationError).message).toBe(
        'Invalid introspection configuration, option "clientSecret" (env INTROSPECTION_CLIENT_SECRET): is required by the "client_secret_basic" client authentication method.',
      );
    });
  });

  it('refuses to authenticate without a client secret, adding no header', () => {
    const req = request();
    expect(() => strategy.authenticate(req, options('orders-api'))).toThrow(IntrospectionConfigurationError);
    expect(req.headers).toStrictEqual({});
  });
});
