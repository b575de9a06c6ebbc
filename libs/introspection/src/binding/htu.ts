import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type { TrustedProxies } from './trusted-proxies';

// RFC 3986 §2.3: percent-encoded unreserved characters are decoded in normalisation.
const ENCODED_UNRESERVED = /%(?:2[DdEe]|[3][0-9]|[46][1-9A-Fa-f]|[57][0-9Aa]|5[Ff]|7[Ee])/g;

/**
 * An http(s) URI without query and fragment, after the syntax- and
 * scheme-based normalisation RFC 9449 §4.3 asks for (RFC 3986 §6.2.2,
 * §6.2.3): lower-case scheme and host, no default port, an empty path as
 * `/`, dot segments removed, percent-encoding in upper case and unreserved
 * characters decoded. `undefined` when `uri` is not an absolute http(s) URI.
 * A trailing slash is kept: `/me/` and `/me` are different resources.
 * @internal
 */
export function normalizeHtu(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) {
    return undefined;
  }
  const path = url.pathname
    .replace(ENCODED_UNRESERVED, (encoded) => String.fromCharCode(parseInt(encoded.slice(1), 16)))
    .replace(/%[0-9a-f]{2}/gi, (encoded) => encoded.toUpperCase());
  return `${url.protocol}//${url.host}${path}`;
}

/** What the request URI is built from. */
export interface RequestUriSource {
  /** The request target as received (`/me?x=1`), path and query. */
  readonly target: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The peer address of the connection. */
  readonly remoteAddress?: string;
  /** Whether the connection is TLS. */
  readonly encrypted: boolean;
}

/**
 * The request's URI for `htu` (RFC 9449 §4.3): the configured `publicUrl`
 * origin, else the `X-Forwarded-Proto`/`X-Forwarded-Host` of a trusted
 * proxy, followed by the request path; query and fragment left out. Never
 * built from `Host` alone, which any client sets as it likes.
 * @throws IntrospectionConfigurationError naming `publicUrl` when neither is available
 * @internal
 */
export function requestUri(
  source: RequestUriSource,
  publicUrl: string | undefined,
  proxies: TrustedProxies,
): string | undefined {
  let origin = publicUrl;
  if (origin === undefined && proxies.contains(source.remoteAddress)) {
    const host = firstValue(source.headers['x-forwarded-host']);
    const proto =
      firstValue(source.headers['x-forwarded-proto'])?.toLowerCase() ?? (source.encrypted ? 'https' : 'http');
    if (host !== undefined && (proto === 'http' || proto === 'https')) {
      origin = `${proto}://${host}`;
    }
  }
  if (origin === undefined) {
    throw new IntrospectionConfigurationError(
      'publicUrl',
      'is needed to check DPoP proofs (htu): set it to the origin clients call, or set trustProxy so the X-Forwarded-Host of your proxy is read.',
    );
  }
  // Only the path: the target's query (and a fragment, were one sent) never counts.
  const path = source.target.split(/[?#]/)[0];
  return normalizeHtu(`${origin}${path.startsWith('/') ? path : `/${path}`}`);
}

/** The first element of a (possibly repeated, comma-separated) header. */
function firstValue(value: string | string[] | undefined): string | undefined {
  const first = (Array.isArray(value) ? value[0] : value)?.split(',')[0].trim();
  return first ? first : undefined;
}
