import { thrown } from '../../test-support/thrown';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { normalizeHtu, requestUri, type RequestUriSource } from './htu';
import { TrustedProxies } from './trusted-proxies';

describe('normalizeHtu (RFC 9449 §4.3, RFC 3986 §6.2.2-6.2.3)', () => {
  it.each([
    ['https://api.example.com/me', 'https://api.example.com/me'],
    ['HTTPS://API.Example.COM/me', 'https://api.example.com/me'],
    ['https://api.example.com:443/me', 'https://api.example.com/me'],
    ['http://api.example.com:80/me', 'http://api.example.com/me'],
    ['https://api.example.com:8443/me', 'https://api.example.com:8443/me'],
    ['https://api.example.com', 'https://api.example.com/'],
    ['https://api.example.com/a/../me', 'https://api.example.com/me'],
    ['https://api.example.com/%7euser/%6De', 'https://api.example.com/~user/me'],
    ['https://api.example.com/a%2fb', 'https://api.example.com/a%2Fb'],
    ['https://api.example.com/me?x=1#top', 'https://api.example.com/me'],
    ['https://api.example.com/me/', 'https://api.example.com/me/'],
  ])('%s is %s', (uri, expected) => {
    expect(normalizeHtu(uri)).toBe(expected);
  });

  it.each(['me', '/me', 'ftp://api.example.com/me', 'https://user:pw@api.example.com/me', ''])(
    'refuses %p',
    (uri) => {
      expect(normalizeHtu(uri)).toBeUndefined();
    },
  );
});

describe('requestUri', () => {
  const source = (overrides: Partial<RequestUriSource> = {}): RequestUriSource => ({
    target: '/me?x=1',
    headers: { host: 'evil.example.com', 'x-forwarded-host': 'gw.example.com', 'x-forwarded-proto': 'https' },
    remoteAddress: '127.0.0.1',
    encrypted: false,
    ...overrides,
  });
  const loopback = new TrustedProxies(['127.0.0.0/8', '::1/128']);
  const nobody = new TrustedProxies([]);

  it('uses publicUrl first, whatever the headers say', () => {
    expect(requestUri(source(), 'https://api.example.com', loopback)).toBe('https://api.example.com/me');
  });

  it('uses the X-Forwarded-* of a trusted proxy (first value of a list)', () => {
    expect(
      requestUri(
        source({
          headers: { 'x-forwarded-host': 'gw.example.com, inner', 'x-forwarded-proto': 'HTTPS,http' },
        }),
        undefined,
        loopback,
      ),
    ).toBe('https://gw.example.com/me');
    expect(requestUri(source({ remoteAddress: '::ffff:127.0.0.1' }), undefined, loopback)).toBe(
      'https://gw.example.com/me',
    );
  });

  it('takes the scheme of the connection when the proxy sends no X-Forwarded-Proto', () => {
    expect(
      requestUri(
        source({ headers: { 'x-forwarded-host': 'gw.example.com' }, encrypted: true }),
        undefined,
        loopback,
      ),
    ).toBe('https://gw.example.com/me');
  });

  it('never builds it from Host: without publicUrl or a trusted proxy, a configuration error naming publicUrl', () => {
    for (const [request, proxies] of [
      [source(), nobody],
      [source({ remoteAddress: '10.0.0.1' }), loopback],
      [source({ headers: { host: 'api.example.com' } }), loopback],
    ] as const) {
      expect(
        thrown(IntrospectionConfigurationError, () => requestUri(request, undefined, proxies)).option,
      ).toBe('publicUrl');
    }
  });
});
