import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type { Duration } from '../interfaces/introspection-options.interface';
import type {
  ResolvedSecurityEventsOptions,
  SecurityEventsOptions,
} from '../interfaces/security-events-options.interface';
import { DEFAULT_SECURITY_EVENTS_PATH } from '../introspection.constants';
import { boolean, duration, given, httpsUrl, optionGroup, optionalString } from './option-values';

const GROUP = 'securityEvents';
const MEMBERS = ['path', 'issuer', 'jwksUri', 'audience', 'maxAge', 'requireToken'];
const DEFAULT_MAX_AGE = '5m';
/** Past this, the replay memory would hold a day of SETs; transmitters retry within minutes (RFC 8935 §2.3). */
const MAX_MAX_AGE_MS = 24 * 3_600_000;

/**
 * Validates the `securityEvents` group and applies its defaults;
 * `undefined` when it is not set (no receiver is mounted).
 * @throws IntrospectionConfigurationError naming the setting, e.g. `securityEvents.issuer`
 * @internal
 */
export function resolveSecurityEventsOptions(
  value: unknown,
  { allowInsecureHttp, clientId }: { allowInsecureHttp: boolean; clientId: string },
): ResolvedSecurityEventsOptions | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  const group = optionGroup(
    value,
    GROUP,
    "{ issuer: 'https://as.example.com', jwksUri: 'https://as.example.com/jwks' }",
  ) as Partial<SecurityEventsOptions>;
  const unknown = Object.keys(group).filter((key) => !MEMBERS.includes(key));
  if (unknown.length > 0) {
    throw new IntrospectionConfigurationError(
      GROUP,
      `has unknown member(s) ${unknown.join(', ')}; use ${MEMBERS.join(', ')}.`,
    );
  }
  const issuer = optionalString(group.issuer, `${GROUP}.issuer`);
  const jwksUri = httpsUrl(group.jwksUri, `${GROUP}.jwksUri`, allowInsecureHttp);
  // Each names the other: a receiver needs both the issuer to expect and the keys to check it with.
  if (issuer === undefined) {
    throw new IntrospectionConfigurationError(
      `${GROUP}.issuer`,
      "is required to receive security events: the transmitter's issuer, which every SET's iss must equal (with securityEvents.jwksUri).",
    );
  }
  if (jwksUri === undefined) {
    throw new IntrospectionConfigurationError(
      `${GROUP}.jwksUri`,
      "is required to receive security events: the URL of the transmitter's JWK Set, which verifies SET signatures (with securityEvents.issuer).",
    );
  }
  const maxAgeMs = duration(given(group.maxAge as Duration) ?? DEFAULT_MAX_AGE, `${GROUP}.maxAge`);
  if (maxAgeMs < 1000 || maxAgeMs > MAX_MAX_AGE_MS) {
    throw new IntrospectionConfigurationError(`${GROUP}.maxAge`, 'must be between 1s and 24h, e.g. "5m".');
  }
  return {
    path: path(group.path),
    issuer,
    jwksUri,
    audience: audience(group.audience, clientId),
    maxAgeMs,
    requireToken: boolean(group.requireToken, `${GROUP}.requireToken`, false),
  };
}

function path(value: unknown): string {
  const text = optionalString(value, `${GROUP}.path`) ?? DEFAULT_SECURITY_EVENTS_PATH;
  // An exact path: no parameters or wildcards of the router, no query.
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(text)) {
    throw new IntrospectionConfigurationError(
      `${GROUP}.path`,
      'must be a path such as "/security-events": "/" and segments of letters, digits, ".", "_", "~" or "-".',
    );
  }
  return text;
}

function audience(value: unknown, clientId: string): string[] {
  if (value === undefined || value === null || value === '') {
    return [clientId];
  }
  const values = Array.isArray(value) ? (value as unknown[]) : [value];
  if (values.length === 0 || !values.every((v): v is string => typeof v === 'string' && v.length > 0)) {
    throw new IntrospectionConfigurationError(
      `${GROUP}.audience`,
      'must be a non-empty string or list of strings.',
    );
  }
  return values;
}
