import { isSigningAlgorithm, SIGNING_ALGORITHMS } from '../client-auth/signing-algorithms';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type {
  Duration,
  JsonWebKeyInput,
  JwtSigningAlgorithm,
  JwtSigningProfile,
  ResolvedJwtSigningProfile,
} from '../interfaces/introspection-options.interface';
import { CLIENT_ASSERTION_TYP, DEFAULT_CLIENT_ASSERTION_TTL } from '../introspection.constants';
import { duration, optionalObject, optionalString } from './option-values';

const OPTION = 'jwtSigningProfile';

// Claims the module sets itself (RFC 7523 §3): a configured value would
// either be ignored or break the assertion, so it is refused.
const RESERVED_CLAIMS: Readonly<Record<string, string>> = {
  iss: 'it is always clientId',
  sub: 'it is always clientId',
  aud: 'set jwtSigningProfile.audience instead',
  jti: 'a fresh one is generated for every request',
  iat: 'it is the signing time',
  exp: 'set jwtSigningProfile.ttl instead',
};

const RESERVED_HEADERS: Readonly<Record<string, string>> = {
  alg: 'set jwtSigningProfile.signatureAlgorithm instead',
  typ: 'set jwtSigningProfile.typ instead',
  kid: 'set jwtSigningProfile.keyId instead',
};

/**
 * Checks the shape of the `jwtSigningProfile` option and applies its
 * defaults. Which settings a method needs (a key, an HMAC algorithm, …) is
 * checked by that method's strategy when it initializes.
 *
 * @returns `undefined` when no profile is configured
 * @throws IntrospectionConfigurationError naming the setting, never quoting a key
 * @internal
 */
export function resolveJwtSigningProfile(value: unknown): ResolvedJwtSigningProfile | undefined {
  const object = optionalObject(value, OPTION);
  return object === undefined ? undefined : resolveSettings(object);
}

/**
 * The settings JWT client assertions use when no `jwtSigningProfile` is
 * configured (`client_secret_jwt` needs none).
 * @internal
 */
export function defaultJwtSigningProfile(): ResolvedJwtSigningProfile {
  return resolveSettings({});
}

function resolveSettings(profile: JwtSigningProfile): ResolvedJwtSigningProfile {
  const key = signingKey(profile.key);
  const keyFile = optionalString(profile.keyFile, `${OPTION}.keyFile`);
  if (key !== undefined && keyFile !== undefined) {
    throw new IntrospectionConfigurationError(`${OPTION}.key`, 'set either key or keyFile, not both.');
  }
  return {
    signatureAlgorithm: signatureAlgorithm(profile.signatureAlgorithm),
    key,
    keyFile,
    keyId: optionalString(profile.keyId, `${OPTION}.keyId`),
    ttlSeconds: ttlSeconds(profile.ttl ?? DEFAULT_CLIENT_ASSERTION_TTL),
    audience: optionalString(profile.audience, `${OPTION}.audience`),
    claims: withoutReserved(profile.claims, 'claims', RESERVED_CLAIMS),
    headers: withoutReserved(profile.headers, 'headers', RESERVED_HEADERS),
    typ: typ(profile.typ),
  };
}

function signatureAlgorithm(value: unknown): JwtSigningAlgorithm | undefined {
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  if (typeof value === 'string' && value.toLowerCase() === 'none') {
    throw new IntrospectionConfigurationError(
      `${OPTION}.signatureAlgorithm`,
      '"none" is never used: an unsigned assertion would let anyone authenticate as this API.',
    );
  }
  if (!isSigningAlgorithm(value)) {
    const shown = typeof value === 'string' ? `"${value}"` : typeof value;
    throw new IntrospectionConfigurationError(
      `${OPTION}.signatureAlgorithm`,
      `${shown} is not supported; use one of ${Object.keys(SIGNING_ALGORITHMS).join(', ')}.`,
    );
  }
  return value;
}

function signingKey(value: unknown): string | JsonWebKeyInput | undefined {
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    return value as JsonWebKeyInput;
  }
  throw new IntrospectionConfigurationError(`${OPTION}.key`, 'must be a PEM string or a JWK object.');
}

function ttlSeconds(value: Duration): number {
  const ms = duration(value, `${OPTION}.ttl`);
  // exp and iat are whole seconds (RFC 7519 §2 NumericDate is not required
  // to be, but many servers reject fractions).
  if (ms < 1000 || ms % 1000 !== 0) {
    throw new IntrospectionConfigurationError(
      `${OPTION}.ttl`,
      'must be a positive whole number of seconds, e.g. "60s".',
    );
  }
  return ms / 1000;
}

function withoutReserved(
  value: unknown,
  setting: 'claims' | 'headers',
  reserved: Readonly<Record<string, string>>,
): Readonly<Record<string, unknown>> {
  const object = optionalObject(value, `${OPTION}.${setting}`) ?? {};
  for (const name of Object.keys(object)) {
    if (Object.hasOwn(reserved, name)) {
      throw new IntrospectionConfigurationError(
        `${OPTION}.${setting}`,
        `cannot set "${name}": ${reserved[name]}.`,
      );
    }
  }
  return { ...object };
}

function typ(value: unknown): string | undefined {
  if (value === null) {
    return undefined;
  }
  if (value === undefined) {
    return CLIENT_ASSERTION_TYP;
  }
  if (typeof value !== 'string' || value === '') {
    throw new IntrospectionConfigurationError(
      `${OPTION}.typ`,
      'must be a non-empty string, or null to leave the header out.',
    );
  }
  return value;
}
