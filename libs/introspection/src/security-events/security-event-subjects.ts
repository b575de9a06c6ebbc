import type { SecurityEventIgnoredReason } from '../events/introspection-events';
import type { RevocationFilter } from '../interfaces/revocation.interface';
import { isObject } from './security-event-token.verifier';

/** What a subject identifier designates: a revocation filter, or why it designates none. */
export type SubjectMapping =
  | { readonly filter: RevocationFilter }
  | { readonly ignored: Extract<SecurityEventIgnoredReason, 'unsupported_subject' | 'foreign_subject'> };

/**
 * Maps a subject identifier (RFC 9493) to the answers it designates:
 * - `iss_sub` → `{ sub }`, when its `iss` is `subjectIssuer` (the issuer of
 *   the tokens this registration introspects); another issuer's user is not
 *   ours (`foreign_subject`);
 * - `opaque` → `{ sub: id }`;
 * - `jwt_id` (`{ format: 'jwt_id', jti }`, this library's form for one
 *   token) → `{ jti }`;
 * - a complex subject (`format: 'complex'`, or members without `format`):
 *   its `user` in one of the forms above → `sub`, its `session` in `opaque`
 *   format → `sid`; both → `{ sub, sid }`.
 *
 * Any other form (`email`, `phone_number`, `account`, ...) is
 * `unsupported_subject`: the introspection answers carry none of them.
 * @internal
 */
export function subjectFilter(subject: unknown, subjectIssuer: string): SubjectMapping {
  if (!isObject(subject)) {
    return { ignored: 'unsupported_subject' };
  }
  if (
    subject.format === 'complex' ||
    (subject.format === undefined && ('user' in subject || 'session' in subject))
  ) {
    return complexSubjectFilter(subject, subjectIssuer);
  }
  return simpleSubjectFilter(subject, subjectIssuer);
}

function simpleSubjectFilter(subject: Record<string, unknown>, subjectIssuer: string): SubjectMapping {
  switch (subject.format) {
    case 'iss_sub':
      if (!nonEmpty(subject.iss) || !nonEmpty(subject.sub)) {
        return { ignored: 'unsupported_subject' };
      }
      return subject.iss === subjectIssuer
        ? { filter: { sub: subject.sub } }
        : { ignored: 'foreign_subject' };
    case 'opaque':
      return nonEmpty(subject.id) ? { filter: { sub: subject.id } } : { ignored: 'unsupported_subject' };
    case 'jwt_id':
      return nonEmpty(subject.jti) ? { filter: { jti: subject.jti } } : { ignored: 'unsupported_subject' };
    default:
      return { ignored: 'unsupported_subject' };
  }
}

function complexSubjectFilter(subject: Record<string, unknown>, subjectIssuer: string): SubjectMapping {
  let filter: { sub?: string; sid?: string } = {};
  if (subject.user !== undefined) {
    const user = isObject(subject.user) ? simpleSubjectFilter(subject.user, subjectIssuer) : undefined;
    if (user === undefined || 'ignored' in user) {
      return user ?? { ignored: 'unsupported_subject' };
    }
    if (user.filter.sub === undefined) {
      // A user given as a token id is no user.
      return { ignored: 'unsupported_subject' };
    }
    filter = { sub: user.filter.sub };
  }
  if (subject.session !== undefined) {
    const session = subject.session;
    if (!isObject(session) || session.format !== 'opaque' || !nonEmpty(session.id)) {
      return { ignored: 'unsupported_subject' };
    }
    filter = { ...filter, sid: session.id };
  }
  return filter.sub === undefined && filter.sid === undefined
    ? { ignored: 'unsupported_subject' }
    : { filter };
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
