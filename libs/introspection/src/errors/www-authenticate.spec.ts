import { formatWwwAuthenticate, type BearerChallenge } from './www-authenticate';

describe('formatWwwAuthenticate', () => {
  it.each<[string, BearerChallenge, string]>([
    ['no parameters', {}, 'Bearer'],
    ['a realm only', { realm: 'orders' }, 'Bearer realm="orders"'],
    [
      'an error without realm',
      { error: 'invalid_token', errorDescription: 'The access token has expired.' },
      'Bearer error="invalid_token", error_description="The access token has expired."',
    ],
    [
      'realm and error',
      { realm: 'orders', error: 'invalid_request', errorDescription: 'The bearer token is too long.' },
      'Bearer realm="orders", error="invalid_request", error_description="The bearer token is too long."',
    ],
    [
      'every parameter',
      {
        realm: 'orders',
        error: 'insufficient_scope',
        errorDescription: 'The access token lacks a required scope.',
        scope: 'read:orders write:orders',
      },
      'Bearer realm="orders", error="insufficient_scope", error_description="The access token lacks a required scope.", scope="read:orders write:orders"',
    ],
    [
      'a step-up challenge (RFC 9470 §3) naming the metadata document (RFC 9728 §5.1)',
      {
        realm: 'orders',
        error: 'insufficient_user_authentication',
        errorDescription: 'A stronger authentication is required.',
        acrValues: 'urn:example:mfa urn:example:hwk',
        maxAge: 300,
        resourceMetadata: 'https://api.example.com/.well-known/oauth-protected-resource',
      },
      'Bearer realm="orders", error="insufficient_user_authentication", error_description="A stronger authentication is required.", acr_values="urn:example:mfa urn:example:hwk", max_age="300", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"',
    ],
    [
      'resource_metadata alone, for a request without a token',
      { resourceMetadata: 'https://api.example.com/.well-known/oauth-protected-resource' },
      'Bearer resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"',
    ],
    ['a max_age of 0', { maxAge: 0 }, 'Bearer max_age="0"'],
    ['undefined parameters', { realm: undefined, error: undefined, scope: undefined }, 'Bearer'],
  ])('%s', (_kind, challenge, expected) => {
    expect(formatWwwAuthenticate(challenge)).toBe(expected);
  });

  it('writes the parameters in a fixed order, whatever the key order', () => {
    const challenge: BearerChallenge = {
      scope: 'admin',
      errorDescription: 'Missing scope.',
      error: 'insufficient_scope',
      realm: 'orders',
    };
    expect(formatWwwAuthenticate(challenge)).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="Missing scope.", scope="admin"',
    );
  });

  // RFC 6750 §3: these values are limited to %x20-21 / %x23-5B / %x5D-7E.
  it.each([
    ['double quotes', 'say "hi"', 'say hi'],
    ['backslashes', 'a\\b', 'ab'],
    ['CR LF (header injection)', 'bad\r\nSet-Cookie: x=1', 'badSet-Cookie: x=1'],
    ['a tab', 'a\tb', 'ab'],
    ['non-ASCII', 'ä-ü €', '- '],
    ['control characters', 'a\u0000b\u007fc', 'abc'],
  ])('removes %s from values', (_kind, value, cleaned) => {
    expect(formatWwwAuthenticate({ realm: value, error: value, errorDescription: value, scope: value })).toBe(
      `Bearer realm="${cleaned}", error="${cleaned}", error_description="${cleaned}", scope="${cleaned}"`,
    );
  });

  it('keeps every allowed character', () => {
    const allowed = " !#$%&'()*+,-./0123456789:;<=>?@AZ[]^_`az{|}~";
    expect(formatWwwAuthenticate({ errorDescription: allowed })).toBe(
      `Bearer error_description="${allowed}"`,
    );
  });
});
