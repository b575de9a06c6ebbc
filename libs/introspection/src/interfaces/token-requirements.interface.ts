import type { DpopMode } from './dpop-options.interface';

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
   * DPoP for this route (RFC 9449), overriding the registration's
   * `dpop.mode`: `'required'` accepts only DPoP-bound tokens with a valid
   * proof. Needs `dpop.mode` other than `'disabled'` on the registration.
   */
  dpop?: DpopMode;
}
