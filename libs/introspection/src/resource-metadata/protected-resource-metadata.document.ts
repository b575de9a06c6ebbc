/** What the protected resource metadata document of one resource is made of. */
export interface ProtectedResourceMetadataSources {
  readonly resource: string;
  /** Issuer identifiers of the registrations that issue tokens for it. */
  readonly authorizationServers: readonly string[];
  /** Scopes the routes require. */
  readonly routeScopes: Iterable<string>;
  /** The configured extra members, `scopes_supported` included. */
  readonly members: Readonly<Record<string, unknown>>;
}

/**
 * The protected resource metadata document (RFC 9728 §2): `resource`,
 * `authorization_servers`, `scopes_supported` (the routes' and the
 * configured ones, sorted) and `bearer_methods_supported` (the
 * `Authorization` header only, RFC 6750 §2.1), then the configured members.
 * @internal
 */
export function protectedResourceMetadataDocument({
  resource,
  authorizationServers,
  routeScopes,
  members,
}: ProtectedResourceMetadataSources): Record<string, unknown> {
  const { scopes_supported: extraScopes, ...rest } = members;
  const scopes = [...new Set([...routeScopes, ...((extraScopes as string[] | undefined) ?? [])])].sort();
  return {
    resource,
    authorization_servers: [...new Set(authorizationServers)],
    ...(scopes.length > 0 ? { scopes_supported: scopes } : {}),
    bearer_methods_supported: ['header'],
    ...rest,
  };
}
