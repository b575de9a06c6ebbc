import type { Duration } from './introspection-options.interface';

/**
 * What a route requires of an active token, given to `@RequireActiveToken()`.
 *
 * @example
 * @RequireActiveToken({ scopes: ['read:payments'], audience: 'payments-api' })
 */
export interface TokenRequirements {
  /** Scopes the token must all carry (403 `insufficient_scope` otherwise). */
  scopes?: string[];
  /**
   * Audience the token's `aud` must contain (any one of them, when several);
   * overrides the module's `audience` option.
   */
  audience?: string | string[];
  /**
   * Name of the registration (`IntrospectionModule.forRoot({ name })`) whose
   * authorization server introspects the token; the default one when unset
   * or `'default'` ({@link DEFAULT_INTROSPECTION_SERVER}). With
   * {@link ROUTE_BY_ISSUER}, the `iss` of a JWT access token picks the
   * registration whose `issuer` option matches it.
   * Its `realm`, `audience`, `clockTolerance`, `allowMissingTokenType` and
   * `maxTokenLength` apply.
   */
  server?: string;
  /**
   * Authentication context classes accepted (RFC 9470): the introspected
   * `acr` must be one of them; a token without `acr` fails. Overrides the
   * module's `acrValues`. Failure: 401 `insufficient_user_authentication`
   * with `acr_values`.
   * @example ['urn:example:mfa']
   */
  acrValues?: string[];
  /**
   * Longest time since the user authenticated (RFC 9470): `now - auth_time`
   * must not exceed it (with `clockTolerance`); a token without `auth_time`
   * fails. A whole number of seconds, or a duration string. Overrides the
   * module's `maxAge`. Failure: 401 `insufficient_user_authentication` with
   * `max_age`.
   * @example '5m'
   */
  maxAge?: Duration;
}
