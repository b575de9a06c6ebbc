import { protectedResourceMetadataUrl } from './metadata-url';

describe('protectedResourceMetadataUrl (RFC 9728 §3.1)', () => {
  it.each([
    ['https://api.example.com', 'https://api.example.com/.well-known/oauth-protected-resource'],
    ['https://api.example.com/v1', 'https://api.example.com/.well-known/oauth-protected-resource/v1'],
    [
      'https://api.example.com/tenant/1/mcp',
      'https://api.example.com/.well-known/oauth-protected-resource/tenant/1/mcp',
    ],
    // The path is kept as it is, trailing slash included: it is part of the identifier.
    ['https://api.example.com/v1/', 'https://api.example.com/.well-known/oauth-protected-resource/v1/'],
    ['http://127.0.0.1:4000', 'http://127.0.0.1:4000/.well-known/oauth-protected-resource'],
    ['https://api.example.com:8443/x', 'https://api.example.com:8443/.well-known/oauth-protected-resource/x'],
  ])('%s → %s', (resource, expected) => {
    expect(protectedResourceMetadataUrl(resource).href).toBe(expected);
  });
});
