import { protectedResourceMetadataDocument } from './protected-resource-metadata.document';

describe('protectedResourceMetadataDocument', () => {
  it('writes the computed members first, scopes sorted and deduplicated, then the configured ones', () => {
    expect(
      JSON.stringify(
        protectedResourceMetadataDocument({
          resource: 'https://api.example.com',
          authorizationServers: [
            'https://as.example.com',
            'https://partners.example.com',
            'https://as.example.com',
          ],
          routeScopes: new Set(['write', 'read']),
          members: { resource_name: 'API', scopes_supported: ['admin', 'read'] },
        }),
      ),
    ).toBe(
      JSON.stringify({
        resource: 'https://api.example.com',
        authorization_servers: ['https://as.example.com', 'https://partners.example.com'],
        scopes_supported: ['admin', 'read', 'write'],
        bearer_methods_supported: ['header'],
        resource_name: 'API',
      }),
    );
  });

  it('leaves scopes_supported out when no route requires a scope and none is configured', () => {
    expect(
      protectedResourceMetadataDocument({
        resource: 'https://api.example.com',
        authorizationServers: ['https://as.example.com'],
        routeScopes: [],
        members: {},
      }),
    ).toStrictEqual({
      resource: 'https://api.example.com',
      authorization_servers: ['https://as.example.com'],
      bearer_methods_supported: ['header'],
    });
  });
});
