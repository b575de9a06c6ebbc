import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { resolveIntrospectionOptions } from '../config/resolve-options';
import type { ClientAuthRequest } from './client-auth-strategy.interface';
import { ClientSecretPostStrategy } from './client-secret-post.strategy';

const ENDPOINT = 'https://as.example.com/token/introspection';

function options(clientId: string, clientSecret?: string) {
  return resolveIntrospectionOptions({
    endpoint: ENDPOINT,
    clientId,
    clientSecret,
    endpointAuthMethod: 'client_secret_post',
  });
}

function request(): ClientAuthRequest {
  return {
    endpoint: ENDPOINT,
    headers: {},
    body: new URLSearchParams({ token: 'abc', token_type_hint: 'access_token' }),
  };
}

describe('ClientSecretPostStrategy', () => {
  const strategy = new ClientSecretPostStrategy();

  it('implements client_secret_post', () => {
    expect(strategy.method).toBe('client_secret_post');
  });

  it('adds client_id and client_secret to the body and no header', () => {
    const req = request();
    strategy.authenticate(req, options('orders-api', 's3cret'));
    expect(req.headers).toStrictEqual({});
    expect([...req.body.entries()]).toStrictEqual([
      ['token', 'abc'],
      ['token_type_hint', 'access_token'],
      ['client_id', 'orders-api'],
      ['client_secret', 's3cret'],
    ]);
  });

  it('keeps id and secret byte-exact, form-encoded on the wire', () => {
    const req = request();
    strategy.authenticate(req, options('client:1', 'p:a%s+s wörd'));
    expect(req.body.get('client_id')).toBe('client:1');
    expect(req.body.get('client_secret')).toBe('p:a%s+s wörd');
    expect(req.body.toString()).toBe(
      'token=abc&token_type_hint=access_token&client_id=client%3A1&client_secret=p%3Aa%25s%2Bs+w%C3%B6rd',
    );
    expect(new URLSearchParams(req.body.toString()).get('client_secret')).toBe('p:a%s+s wörd');
  });

  it('sets the parameters once, also when called again (retries)', () => {
    const req = request();
    strategy.authenticate(req, options('orders-api', 'first'));
    strategy.authenticate(req, options('orders-api', 'second'));
    expect(req.body.getAll('client_id')).toStrictEqual(['orders-api']);
    expect(req.body.getAll('client_secret')).toStrictEqual(['second']);
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
        'Invalid introspection configuration, option "clientSecret" (env INTROSPECTION_CLIENT_SECRET): is required by the "client_secret_post" client authentication method.',
      );
    });
  });

  it('refuses to authenticate without a client secret, adding no parameter', () => {
    const req = request();
    expect(() => strategy.authenticate(req, options('orders-api'))).toThrow(IntrospectionConfigurationError);
    expect(req.body.has('client_secret')).toBe(false);
    expect(req.headers).toStrictEqual({});
  });
});
