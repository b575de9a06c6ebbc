import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type { Duration } from '../interfaces/introspection-options.interface';
import { parseDuration } from './duration';

// Run-time checks of single option values, shared by the option resolvers.
// Each throws an IntrospectionConfigurationError naming the option; values
// marked secret are never quoted.

/**
 * A duration option in milliseconds.
 * @internal
 */
export function duration(value: Duration, option: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) {
    const shown = typeof value === 'string' ? `"${value}"` : typeof value;
    throw new IntrospectionConfigurationError(
      option,
      `${shown} is not a duration; use a number of seconds or a string such as "500ms", "90s" or "1m30s".`,
    );
  }
  // Timers, dates and jose work in whole milliseconds: a fraction of one
  // cannot be honoured exactly. Rounded to a microsecond first, so that
  // "1.1s" (1100.0000000000002 in binary floating point) is 1100.
  const exact = Math.round(ms * 1000) / 1000;
  if (!Number.isInteger(exact)) {
    throw new IntrospectionConfigurationError(
      option,
      `must be a whole number of milliseconds; ${exact} ms cannot be honoured exactly.`,
    );
  }
  return exact;
}

/**
 * A non-empty string option.
 * @internal
 */
export function requiredString(value: unknown, option: string): string {
  const result = optionalString(value, option);
  if (result === undefined) {
    throw new IntrospectionConfigurationError(option, 'is required.');
  }
  return result;
}

/**
 * A string option; `undefined` when absent or empty.
 * @internal
 */
export function optionalString(value: unknown, option: string, { secret = false } = {}): string | undefined {
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new IntrospectionConfigurationError(
      option,
      secret ? 'must be a string.' : `must be a string, got ${typeof value}.`,
    );
  }
  return value;
}

/**
 * An http(s) URL option without credentials or fragment; `undefined` when absent.
 * @internal
 */
export function optionalHttpUrl(value: unknown, option: string): string | undefined {
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new IntrospectionConfigurationError(option, 'must be a URL string.');
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new IntrospectionConfigurationError(option, 'is not a valid absolute URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new IntrospectionConfigurationError(option, `must be an http(s) URL, not "${url.protocol}".`);
  }
  assertNoCredentialsNorFragment(url, value, option);
  return url.href;
}

/**
 * Refuses userinfo and a fragment in a URL option (`text` as given, `url`
 * parsed from it): credentials would travel in every request and could end
 * up in logs; a fragment is never sent (RFC 6749 §3.2).
 * @internal
 */
export function assertNoCredentialsNorFragment(url: URL, text: string, option: string): void {
  if (url.username || url.password) {
    throw new IntrospectionConfigurationError(
      option,
      'must not contain credentials; use clientId and clientSecret instead.',
    );
  }
  if (text.includes('#')) {
    throw new IntrospectionConfigurationError(option, 'must not contain a fragment (RFC 6749 §3.2).');
  }
}

/**
 * Whether `url` names this machine (RFC 6761 §6.3 `localhost`, 127.0.0.0/8,
 * `::1`): plain http cannot be intercepted there.
 * @internal
 */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}

/**
 * An {@link optionalHttpUrl} that must be https unless it names this machine
 * or `allowInsecureHttp` is set; `undefined` when absent.
 * @internal
 */
export function httpsUrl(value: unknown, option: string, allowInsecureHttp: boolean): string | undefined {
  const href = optionalHttpUrl(value, option);
  if (href !== undefined) {
    assertHttps(href, option, allowInsecureHttp);
  }
  return href;
}

/**
 * Refuses a plain-http URL to another machine unless `allowInsecureHttp` is
 * set: every request the module sends carries tokens, client credentials or
 * the keys that decide which tokens are genuine (RFC 7662 §4, RFC 6749 §3.2).
 * @internal
 */
export function assertHttps(href: string, option: string, allowInsecureHttp: boolean, what = 'it'): void {
  const url = new URL(href);
  if (!allowInsecureHttp && url.protocol === 'http:' && !isLoopbackUrl(url)) {
    throw new IntrospectionConfigurationError(
      option,
      `${what} must be an https URL (RFC 7662 §4): the module's requests carry tokens and client credentials, or fetch the keys that decide which tokens are genuine. Plain http is allowed for loopback hosts, or with transport.allowInsecureHttp: true on a network you trust.`,
    );
  }
}

/**
 * A boolean option.
 * @internal
 */
export function boolean(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined || value === null) {
    return fallback;
  }
  if (typeof value !== 'boolean') {
    throw new IntrospectionConfigurationError(option, 'must be true or false.');
  }
  return value;
}

/**
 * A positive whole number option.
 * @internal
 */
export function positiveInteger(value: unknown, option: string, fallback: number): number {
  if (value === undefined || value === null) {
    return fallback;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new IntrospectionConfigurationError(option, 'must be a positive whole number.');
  }
  return value;
}

/**
 * A whole number option of at least 0.
 * @internal
 */
export function wholeNumber(value: unknown, option: string, fallback: number): number {
  if (value === undefined || value === null) {
    return fallback;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new IntrospectionConfigurationError(option, 'must be a whole number of at least 0.');
  }
  return value;
}

/**
 * A plain object option (not an array, not null); `undefined` when absent.
 * @internal
 */
export function optionalObject(
  value: unknown,
  option: string,
  message = 'must be an object.',
): Readonly<Record<string, unknown>> | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new IntrospectionConfigurationError(option, message);
  }
  return value as Record<string, unknown>;
}

/**
 * A function option; `undefined` when absent.
 * @internal
 */
export function optionalFunction<T>(value: T | undefined | null, option: string): T | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'function') {
    throw new IntrospectionConfigurationError(option, `must be a function, got ${typeof value}.`);
  }
  return value;
}

/**
 * A URL as logs, errors and health reports show it: origin and path only.
 * Query strings and userinfo can hold secrets (an API key, a signed URL) and
 * never leave the module.
 * @internal
 */
export function shownUrl(href: string): string {
  try {
    const url = new URL(href);
    return `${url.origin}${url.pathname}`;
  } catch {
    return '(an invalid URL)';
  }
}

/** The value, or `undefined` when it is unset (`undefined`, `null` or `''`), as for every option. */
export function given<T>(value: T | null | undefined | ''): T | undefined {
  return value === undefined || value === null || value === '' ? undefined : value;
}

/** `text` as a URL; a configuration error naming `option` when it is not one. */
export function parseUrl(text: string, option: string, invalid = 'is not a valid absolute URL.'): URL {
  try {
    return new URL(text);
  } catch {
    throw new IntrospectionConfigurationError(option, invalid);
  }
}

/**
 * An option group (`cache`, `transport`, `breaker`, ...): a plain object, or
 * `{}` when absent.
 * @internal
 */
export function optionGroup(
  value: unknown,
  group: string,
  example: string,
): Readonly<Record<string, unknown>> {
  if (value === undefined || value === null) {
    return {};
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new IntrospectionConfigurationError(group, `must be an object such as ${example}.`);
  }
  return value as Record<string, unknown>;
}
