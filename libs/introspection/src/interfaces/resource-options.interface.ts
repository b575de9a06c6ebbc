import type { Duration } from './introspection-options.interface';

/**
 * Extra members of the protected resource metadata document (RFC 9728 §2),
 * written with their RFC names. `scopes_supported` is added to the scopes
 * collected from the app's `@RequireActiveToken({ scopes })`; the members
 * the module computes (`resource`, `authorization_servers`,
 * `bearer_methods_supported`) cannot be set here.
 *
 * @example { resource_name: 'Payments API', resource_documentation: 'https://docs.example.com/payments' }
 */
export interface ProtectedResourceMetadataMembers {
  /** Human-readable name of the API (RFC 9728 §2). */
  resource_name?: string;
  /** URL of the API's documentation for developers. */
  resource_documentation?: string;
  /** URL of the API's policy on how clients may use its data. */
  resource_policy_uri?: string;
  /** URL of the API's terms of service. */
  resource_tos_uri?: string;
  /** Scopes to advertise besides those the routes require. */
  scopes_supported?: string[];
  /** Any other member of RFC 9728 §2 or of an extension: a JSON value. */
  [member: string]: unknown;
}

/**
 * What the API says about itself: its resource identifier (RFC 8707,
 * RFC 9728), the protected resource metadata document, and the default
 * step-up requirements (RFC 9470) of every protected route.
 * Part of {@link IntrospectionModuleOptions}.
 */
export interface IntrospectionResourceOptions {
  /**
   * The resource identifier of this API (RFC 8707 §2, RFC 9728 §1.2): an
   * https URL without query or fragment (http on a loopback host, for
   * development). When `audience` is unset, routes require it as the
   * audience. Written as `new URL()` would print it (lower-case host, no
   * trailing slash after the host), since clients compare it character by
   * character (RFC 9728 §3.3).
   * Env: `INTROSPECTION_RESOURCE`.
   * @example 'https://api.example.com/payments'
   */
  resource?: string;

  /**
   * Serve the protected resource metadata document (RFC 9728) at
   * `/.well-known/oauth-protected-resource` followed by the path of
   * `resource` (§3.1), and name it in every challenge (`resource_metadata`,
   * §5.1): `true`, or an object of extra members. Needs `resource` and `issuer`.
   * Env: `INTROSPECTION_RESOURCE_METADATA` (`true` or `false`).
   * @default false
   */
  resourceMetadata?: boolean | ProtectedResourceMetadataMembers;

  /**
   * Send `resource=<resource>` with every introspection request, for
   * authorization servers that scope their answers to the resource asking
   * (RFC 8707). Needs `resource`.
   * Env: `INTROSPECTION_SEND_RESOURCE`.
   * @default false
   */
  sendResource?: boolean;

  /**
   * Authentication context classes every protected route accepts unless it
   * sets its own (RFC 9470): the introspected `acr` must be one of them,
   * otherwise 401 `insufficient_user_authentication`.
   * Env: `INTROSPECTION_ACR_VALUES` (comma- or space-separated).
   * @default [] (any acr, or none)
   * @example ['urn:example:mfa']
   */
  acrValues?: string[];

  /**
   * Longest time since the user authenticated that every protected route
   * accepts unless it sets its own (RFC 9470): `now - auth_time`, with
   * `clockTolerance`, must not exceed it, otherwise 401
   * `insufficient_user_authentication`.
   * Env: `INTROSPECTION_MAX_AGE`.
   * @default undefined (no limit)
   * @example '5m'
   */
  maxAge?: Duration;
}

/** The protected resource metadata document as the module serves it. */
export interface ResolvedProtectedResourceMetadata {
  /** The document's URL, sent as `resource_metadata` in challenges (RFC 9728 §5.1). */
  readonly url: string;
  /** The path the document is served at (RFC 9728 §3.1). */
  readonly path: string;
  /** The configured extra members (the object form of `resourceMetadata`). */
  readonly members: Readonly<Record<string, unknown>>;
}

/** {@link IntrospectionResourceOptions} after validation. */
export interface ResolvedIntrospectionResourceOptions {
  readonly resource?: string;
  /** Set when the document is served. */
  readonly resourceMetadata?: ResolvedProtectedResourceMetadata;
  readonly sendResource: boolean;
  /** Default accepted `acr` values; empty means any. */
  readonly acrValues: readonly string[];
  /** Default longest authentication age in milliseconds; unset means no limit. */
  readonly maxAgeMs?: number;
}
