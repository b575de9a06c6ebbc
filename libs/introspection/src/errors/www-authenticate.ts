/** The parameters of a Bearer challenge (RFC 6750 §3). */
export interface BearerChallenge {
  realm?: string;
  error?: string;
  errorDescription?: string;
  scope?: string;
  /** Space-separated `acr` values the route accepts (RFC 9470 §3). */
  acrValues?: string;
  /** Longest authentication age the route accepts, in seconds (RFC 9470 §3). */
  maxAge?: number;
  /** URL of the protected resource metadata document (RFC 9728 §5.1). */
  resourceMetadata?: string;
}

// RFC 6750 §3: error, error_description and scope values are limited to
// %x20-21 / %x23-5B / %x5D-7E, so they never need escaping inside quotes.
const UNSAFE = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;

/**
 * Formats the `WWW-Authenticate` value of a Bearer challenge, e.g.
 * `Bearer realm="api", error="invalid_token", error_description="..."`.
 * Without error and realm it is plain `Bearer`.
 */
export function formatWwwAuthenticate(challenge: BearerChallenge): string {
  const params: string[] = [];
  const add = (name: string, value: string | undefined) => {
    if (value !== undefined) {
      params.push(`${name}="${value.replace(UNSAFE, '')}"`);
    }
  };
  add('realm', challenge.realm);
  add('error', challenge.error);
  add('error_description', challenge.errorDescription);
  add('scope', challenge.scope);
  add('acr_values', challenge.acrValues);
  add('max_age', challenge.maxAge?.toString());
  add('resource_metadata', challenge.resourceMetadata);
  return params.length > 0 ? `Bearer ${params.join(', ')}` : 'Bearer';
}
