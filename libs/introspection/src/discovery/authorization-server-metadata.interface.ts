/**
 * The members of an authorization server's metadata (RFC 8414 §2) the module
 * reads, after validation.
 */
export interface AuthorizationServerMetadata {
  /** `issuer`, equal to the configured issuer (RFC 8414 §3.3). */
  readonly issuer: string;
  /** `introspection_endpoint`, absent when the server advertises none. */
  readonly introspectionEndpoint?: string;
  /** `jwks_uri`: the server's signing keys. */
  readonly jwksUri?: string;
  /** `token_endpoint`. */
  readonly tokenEndpoint?: string;
  /** `introspection_endpoint_auth_methods_supported`. */
  readonly introspectionEndpointAuthMethods?: readonly string[];
  /** `introspection_signing_alg_values_supported` (RFC 9701 §7). */
  readonly introspectionSigningAlgorithms?: readonly string[];
}
