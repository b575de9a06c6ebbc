import { fetchAuthorizationServerMetadata } from '../discovery/fetch-authorization-server-metadata';
import { keySetUnavailable } from '../keys/remote-key-sets.service';
import { shownUrl } from './option-values';

describe('shownUrl: what logs, errors and health reports show of a URL', () => {
  it.each([
    ['https://as.example.com/jwks?api_key=SECRET', 'https://as.example.com/jwks'],
    [
      'https://user:pass@as.example.com:8443/.well-known/x?sig=abc#frag',
      'https://as.example.com:8443/.well-known/x',
    ],
    ['http://127.0.0.1:4001/token/introspection', 'http://127.0.0.1:4001/token/introspection'],
    ['not a url', '(an invalid URL)'],
  ])('%s -> %s', (href, shown) => {
    expect(shownUrl(href)).toBe(shown);
  });
});

describe('error messages that name a URL', () => {
  it('the JWK Set error shows origin and path only', () => {
    expect(keySetUnavailable('https://as.example.com/jwks?api_key=SECRET-7f3a').message).toBe(
      'The JWK Set at https://as.example.com/jwks could not be fetched.',
    );
  });

  it('discovery errors show origin and path only', async () => {
    // Port 9 on loopback: nothing listens, so the fetch fails at once.
    const error = await fetchAuthorizationServerMetadata('http://127.0.0.1:9/tenant?key=SECRET-7f3a', {
      timeoutMs: 2_000,
      maxResponseBytes: 1_000,
    } as never).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toContain('SECRET-7f3a');
  });
});
