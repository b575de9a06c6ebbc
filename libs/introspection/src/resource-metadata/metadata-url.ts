/** The well-known URI suffix of protected resource metadata (RFC 9728 §3). */
export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/**
 * The URL of the metadata document of `resource`, by the path-insertion rule
 * of RFC 9728 §3.1: the well-known suffix goes between the host and the
 * path, and a lone `/` after the host is dropped.
 * `https://api.example.com/v1` → `https://api.example.com/.well-known/oauth-protected-resource/v1`.
 * @internal
 */
export function protectedResourceMetadataUrl(resource: string): URL {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname;
  return new URL(`${url.origin}${PROTECTED_RESOURCE_WELL_KNOWN}${path}`);
}
