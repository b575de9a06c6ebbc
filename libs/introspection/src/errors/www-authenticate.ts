/** The parameters of a Bearer challenge (RFC 6750 §3). */
export interface BearerChallenge {
  realm?: string;
  error?: string;
  errorDescription?: string;
  scope?: string;
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
  return params.length > 0 ? `Bearer ${params.join(', ')}` : 'Bearer';
}
