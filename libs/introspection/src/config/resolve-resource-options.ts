import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type {
  IntrospectionResourceOptions,
  ResolvedIntrospectionResourceOptions,
  ResolvedProtectedResourceMetadata,
} from '../interfaces/resource-options.interface';
import { protectedResourceMetadataUrl } from '../resource-metadata/metadata-url';
import {
  assertNoCredentialsNorFragment,
  boolean,
  isLoopbackUrl,
  optionalString,
  parseUrl,
} from './option-values';
import { readAcrValues, readMaxAge } from './step-up-values';

/** What the resource options depend on among the other options, resolved. */
export interface ResourceOptionsContext {
  readonly issuer?: string;
  readonly requestParams: Readonly<Record<string, string>>;
}

/** Members of the document the module writes itself (RFC 9728 §2). */
const COMPUTED_MEMBERS = new Set([
  'resource',
  'authorization_servers',
  'bearer_methods_supported',
  'dpop_signing_alg_values_supported',
  'dpop_bound_access_tokens_required',
  'tls_client_certificate_bound_access_tokens',
]);
/** Members whose value is a URL (RFC 9728 §2). */
const URL_MEMBERS = ['resource_documentation', 'resource_policy_uri', 'resource_tos_uri', 'jwks_uri'];
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Validates `resource`, `resourceMetadata`, `sendResource`, `acrValues` and
 * `maxAge`. With `sendResource`, `resource` joins the request parameters, so
 * that the cache keys cover it like any other parameter.
 * @throws IntrospectionConfigurationError naming the option
 * @internal
 */
export function resolveResourceOptions(
  options: IntrospectionResourceOptions,
  { issuer, requestParams }: ResourceOptionsContext,
): ResolvedIntrospectionResourceOptions & { readonly requestParams: Readonly<Record<string, string>> } {
  const resource = resourceIdentifier(options.resource);
  const sendResource = boolean(options.sendResource, 'sendResource', false);
  if (sendResource && resource === undefined) {
    throw new IntrospectionConfigurationError(
      'sendResource',
      'needs resource (INTROSPECTION_RESOURCE): it is the value sent.',
    );
  }
  if (sendResource && requestParams.resource !== undefined) {
    throw new IntrospectionConfigurationError(
      'requestParams',
      'sets "resource" while sendResource sends the resource option; keep one of them.',
    );
  }
  return {
    resource,
    resourceMetadata: resourceMetadata(options.resourceMetadata, resource, issuer),
    sendResource,
    acrValues: acrValues(options.acrValues),
    maxAgeMs: maxAge(options.maxAge),
    requestParams: sendResource ? { ...requestParams, resource: resource as string } : requestParams,
  };
}

function resourceIdentifier(value: unknown): string | undefined {
  const text = optionalString(value, 'resource');
  if (text === undefined) {
    return undefined;
  }
  const url = parseUrl(text, 'resource', 'is not a valid absolute URL.');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackUrl(url))) {
    throw new IntrospectionConfigurationError(
      'resource',
      'must be an https URL (RFC 9728 §1.2); http is accepted on a loopback host, for development.',
    );
  }
  assertNoCredentialsNorFragment(url, text, 'resource');
  if (url.search !== '' || text.includes('?')) {
    throw new IntrospectionConfigurationError(
      'resource',
      'must not contain a query: the metadata document is served at a path derived from it (RFC 9728 §3.1).',
    );
  }
  // RFC 9728 §3.3: a client compares the document's resource with the URL it
  // derived the document's address from, character by character.
  const canonical = url.pathname === '/' ? url.origin : `${url.origin}${url.pathname}`;
  if (text !== canonical) {
    throw new IntrospectionConfigurationError(
      'resource',
      `must be written the way clients compare it (RFC 9728 §3.3): "${canonical}".`,
    );
  }
  return text;
}

function resourceMetadata(
  value: unknown,
  resource: string | undefined,
  issuer: string | undefined,
): ResolvedProtectedResourceMetadata | undefined {
  if (value === undefined || value === null || value === false) {
    return undefined;
  }
  if (value !== true && (typeof value !== 'object' || Array.isArray(value))) {
    throw new IntrospectionConfigurationError(
      'resourceMetadata',
      'must be true or an object of extra members, e.g. { resource_name: "Payments API" }.',
    );
  }
  if (resource === undefined) {
    throw new IntrospectionConfigurationError(
      'resourceMetadata',
      'needs resource (INTROSPECTION_RESOURCE): the document describes that resource and is served at a path derived from it.',
    );
  }
  if (issuer === undefined) {
    throw new IntrospectionConfigurationError(
      'issuer',
      'is required with resourceMetadata: the document names it in authorization_servers (RFC 9728 §2).',
    );
  }
  const members = value === true ? {} : (value as Record<string, unknown>);
  for (const [member, item] of Object.entries(members)) {
    checkMember(member, item);
  }
  const url = protectedResourceMetadataUrl(resource);
  return { url: url.href, path: url.pathname, members };
}

function checkMember(member: string, item: unknown): void {
  const option = `resourceMetadata.${member}`;
  if (COMPUTED_MEMBERS.has(member)) {
    throw new IntrospectionConfigurationError(
      option,
      'is written by the module from its own options and cannot be set here.',
    );
  }
  if (URL_MEMBERS.includes(member)) {
    let url: URL | undefined;
    try {
      url = typeof item === 'string' ? new URL(item) : undefined;
    } catch {
      url = undefined;
    }
    if (url?.protocol !== 'https:' && url?.protocol !== 'http:') {
      throw new IntrospectionConfigurationError(option, 'must be an http(s) URL.');
    }
  } else if (member === 'scopes_supported') {
    if (
      !Array.isArray(item) ||
      !item.every((scope) => typeof scope === 'string' && SCOPE_TOKEN.test(scope))
    ) {
      throw new IntrospectionConfigurationError(option, 'must be an array of scope names without spaces.');
    }
  } else if (member === 'resource_name' && typeof item !== 'string') {
    throw new IntrospectionConfigurationError(option, 'must be a string.');
  } else if (!isJsonValue(item)) {
    throw new IntrospectionConfigurationError(
      option,
      'must be a JSON value (string, finite number, boolean, null, array or plain object).',
    );
  }
}

function isJsonValue(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    return true;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value);
  }
  if (Array.isArray(value)) {
    return value.every(isJsonValue);
  }
  return (
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype &&
    Object.values(value).every(isJsonValue)
  );
}

function acrValues(value: unknown): string[] {
  if (value === undefined || value === null) {
    return [];
  }
  const read = readAcrValues(value);
  if ('problem' in read) {
    throw new IntrospectionConfigurationError('acrValues', read.problem);
  }
  return read.values;
}

function maxAge(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  const read = readMaxAge(value);
  if ('problem' in read) {
    throw new IntrospectionConfigurationError('maxAge', read.problem);
  }
  return read.seconds * 1000;
}
