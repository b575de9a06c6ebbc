import type { InvalidateWhereOptions, RevocationFilter } from '../interfaces/revocation.interface';

/**
 * What the security event receiver does with an accepted event: revoke the
 * cached answers a filter designates. Bound to the registration's
 * `IntrospectionService` by {@link INTROSPECTION_SECURITY_EVENT_ACTIONS}.
 * @internal
 */
export interface SecurityEventActions {
  invalidateWhere(filter: RevocationFilter, options: InvalidateWhereOptions): Promise<void>;
}
