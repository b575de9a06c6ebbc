import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { LOOPBACK_RANGES, trustProxyEntryProblem } from '../binding/trusted-proxies';
import { optionalString, parseUrl } from './option-values';

/**
 * `publicUrl`: an http(s) origin, returned without a trailing slash.
 * @throws IntrospectionConfigurationError naming `publicUrl`
 * @internal
 */
export function resolvePublicUrl(value: unknown): string | undefined {
  const text = optionalString(value, 'publicUrl');
  if (text === undefined) {
    return undefined;
  }
  const url = parseUrl(text, 'publicUrl', 'is not a valid absolute URL, e.g. "https://api.example.com".');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new IntrospectionConfigurationError('publicUrl', `must be an http(s) URL, not "${url.protocol}".`);
  }
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/') {
    throw new IntrospectionConfigurationError(
      'publicUrl',
      'must be an origin only (scheme, host, port), e.g. "https://api.example.com".',
    );
  }
  return url.origin;
}

/**
 * `trustProxy`: addresses and CIDR ranges, `'loopback'` expanded.
 * @throws IntrospectionConfigurationError naming `trustProxy`
 * @internal
 */
export function resolveTrustProxy(value: unknown): string[] {
  if (value === undefined || value === null || value === '') {
    return [];
  }
  const values = Array.isArray(value) ? (value as unknown[]) : [value];
  if (!values.every((v): v is string => typeof v === 'string')) {
    throw new IntrospectionConfigurationError('trustProxy', 'must be a string or an array of strings.');
  }
  const entries = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  return entries.flatMap((entry) => {
    if (entry.toLowerCase() === 'loopback') {
      return LOOPBACK_RANGES;
    }
    const problem = trustProxyEntryProblem(entry);
    if (problem) {
      throw new IntrospectionConfigurationError('trustProxy', problem);
    }
    return [entry];
  });
}
