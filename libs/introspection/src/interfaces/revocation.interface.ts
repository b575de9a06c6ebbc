/**
 * Which answers {@link IntrospectionService.invalidateWhere} makes unusable:
 * those whose introspection response carries every member given here (at
 * least one is required). Matched against the response's `sub`, `sid`,
 * `client_id` and `jti` members.
 *
 * @example
 * await introspection.invalidateWhere({ sub: 'alice' });
 * await introspection.invalidateWhere({ sid: session, clientId: 'web' });
 */
export interface RevocationFilter {
  /** The subject (`sub`) whose answers are revoked. */
  readonly sub?: string;
  /** The session (`sid`, OpenID Connect) whose answers are revoked. */
  readonly sid?: string;
  /** The client (`client_id`) whose answers are revoked. */
  readonly clientId?: string;
  /** The token identifier (`jti`) whose answers are revoked. */
  readonly jti?: string;
}

/** Options of {@link IntrospectionService.invalidateWhere}. */
export interface InvalidateWhereOptions {
  /**
   * Answers from introspections started before this instant are unusable;
   * later ones (a new login, say) are not affected.
   * @default now
   */
  readonly before?: Date;
}
