import type { SecurityEventIgnoredReason } from '../events/introspection-events';
import type { InvalidateWhereOptions, RevocationFilter } from '../interfaces/revocation.interface';
import { subjectFilter } from './security-event-subjects';
import type { VerifiedSecurityEventToken } from './security-event-token.verifier';

const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
const OAUTH = 'https://schemas.openid.net/secevent/oauth/event-type/';

/**
 * The event types the receiver applies, each a revocation of the answers
 * its subject designates (see {@link subjectFilter}): the session's, the
 * user's (whose credentials changed, whose account is disabled or gone), or
 * one token's.
 */
export const HANDLED_SECURITY_EVENTS: ReadonlySet<string> = new Set([
  `${CAEP}session-revoked`,
  `${CAEP}credential-change`,
  `${RISC}account-disabled`,
  `${RISC}account-purged`,
  `${OAUTH}token-revoked`,
]);

/** What one SET asks for: revocations to apply, and the events left aside. */
export interface SecurityEventPlan {
  readonly revocations: ReadonlyArray<{
    readonly filter: RevocationFilter;
    readonly options: InvalidateWhereOptions;
  }>;
  readonly ignored: ReadonlyArray<{
    readonly eventType: string;
    readonly reason: SecurityEventIgnoredReason;
  }>;
}

/**
 * Turns the events of a verified SET into revocations. An event's subject
 * is its payload's `subject` (RISC, earlier CAEP drafts), else the SET's
 * `sub_id` (RFC 9493, CAEP 1.0). Answers are revoked `before` the end of
 * the second of the event's `event_timestamp` (CAEP), else of the SET's
 * `iat`, never later than `now`: both are whole seconds, and the event
 * happened somewhere within that second, so an answer given a few
 * milliseconds before it must not survive; a login in the rest of that second
 * costs one introspection more, a later one is not affected, and a
 * transmitter cannot revoke in advance.
 * @internal
 */
export function planSecurityEvents(
  set: VerifiedSecurityEventToken,
  { subjectIssuer, now }: { subjectIssuer: string; now: number },
): SecurityEventPlan {
  const revocations: Array<SecurityEventPlan['revocations'][number]> = [];
  const ignored: Array<SecurityEventPlan['ignored'][number]> = [];
  for (const [eventType, payload] of Object.entries(set.events)) {
    if (!HANDLED_SECURITY_EVENTS.has(eventType)) {
      ignored.push({ eventType, reason: 'unknown_event' });
      continue;
    }
    const mapping = subjectFilter(payload.subject ?? set.subId, subjectIssuer);
    if ('ignored' in mapping) {
      ignored.push({ eventType, reason: mapping.ignored });
      continue;
    }
    const timestamp =
      typeof payload.event_timestamp === 'number' && Number.isFinite(payload.event_timestamp)
        ? payload.event_timestamp
        : set.iat;
    revocations.push({
      filter: mapping.filter,
      options: { before: new Date(Math.min((timestamp + 1) * 1000, now)) },
    });
  }
  return { revocations, ignored };
}
