import { CREDENTIAL_CHANGE, SESSION_REVOKED } from '../../test-support/security-event-transmitter';
import { planSecurityEvents } from './security-event-handlers';
import { subjectFilter } from './security-event-subjects';
import type { VerifiedSecurityEventToken } from './security-event-token.verifier';

const ISSUER = 'https://as.example.com';
const IAT = 1_800_000_000;
const NOW = (IAT + 10) * 1000;
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
const TOKEN_REVOKED = 'https://schemas.openid.net/secevent/oauth/event-type/token-revoked';

describe('subjectFilter (RFC 9493 subject identifiers)', () => {
  it.each([
    ['iss_sub of the issuer', { format: 'iss_sub', iss: ISSUER, sub: 'alice' }, { filter: { sub: 'alice' } }],
    [
      'iss_sub of another issuer',
      { format: 'iss_sub', iss: 'https://other.example.com', sub: 'alice' },
      { ignored: 'foreign_subject' },
    ],
    ['iss_sub without sub', { format: 'iss_sub', iss: ISSUER }, { ignored: 'unsupported_subject' }],
    ['opaque', { format: 'opaque', id: 'alice' }, { filter: { sub: 'alice' } }],
    ['opaque without id', { format: 'opaque', id: '' }, { ignored: 'unsupported_subject' }],
    ['jwt_id', { format: 'jwt_id', jti: 'token-1' }, { filter: { jti: 'token-1' } }],
    ['email', { format: 'email', email: 'alice@example.com' }, { ignored: 'unsupported_subject' }],
    ['no subject', undefined, { ignored: 'unsupported_subject' }],
    ['a string', 'alice', { ignored: 'unsupported_subject' }],
    [
      'complex: user and session',
      {
        format: 'complex',
        user: { format: 'iss_sub', iss: ISSUER, sub: 'alice' },
        session: { format: 'opaque', id: 's-1' },
      },
      { filter: { sub: 'alice', sid: 's-1' } },
    ],
    [
      'complex without format: session only',
      { session: { format: 'opaque', id: 's-1' } },
      { filter: { sid: 's-1' } },
    ],
    [
      'complex: user only (opaque)',
      { format: 'complex', user: { format: 'opaque', id: 'alice' } },
      { filter: { sub: 'alice' } },
    ],
    [
      'complex: a user of another issuer',
      {
        user: { format: 'iss_sub', iss: 'https://other.example.com', sub: 'alice' },
        session: { format: 'opaque', id: 's-1' },
      },
      { ignored: 'foreign_subject' },
    ],
    [
      'complex: a session not opaque',
      { session: { format: 'email', email: 'a@example.com' } },
      { ignored: 'unsupported_subject' },
    ],
    [
      'complex: a user given as a token id',
      { user: { format: 'jwt_id', jti: 't' } },
      { ignored: 'unsupported_subject' },
    ],
    [
      'complex: a user by email',
      { user: { format: 'email', email: 'a@example.com' } },
      { ignored: 'unsupported_subject' },
    ],
    [
      'complex: neither user nor session',
      { format: 'complex', device: { format: 'opaque', id: 'd' } },
      { ignored: 'unsupported_subject' },
    ],
  ])('%s', (_case, subject, expected) => {
    expect(subjectFilter(subject, ISSUER)).toStrictEqual(expected);
  });
});

describe('planSecurityEvents', () => {
  const set = (
    events: VerifiedSecurityEventToken['events'],
    subId: unknown = { format: 'opaque', id: 'alice' },
  ): VerifiedSecurityEventToken => ({
    jti: 'j',
    iat: IAT,
    events,
    ...(subId === null ? {} : { subId }),
  });
  const plan = (token: VerifiedSecurityEventToken) =>
    planSecurityEvents(token, { subjectIssuer: ISSUER, now: NOW });

  it.each([SESSION_REVOKED, CREDENTIAL_CHANGE, `${RISC}account-disabled`, `${RISC}account-purged`])(
    'revokes the answers of the sub_id for %s, before the end of the SET iat second',
    (eventType) => {
      expect(plan(set({ [eventType]: {} }))).toStrictEqual({
        revocations: [{ filter: { sub: 'alice' }, options: { before: new Date((IAT + 1) * 1000) } }],
        ignored: [],
      });
    },
  );

  it('revokes one token for an OAuth token-revoked event with a jwt_id subject', () => {
    expect(
      plan(set({ [TOKEN_REVOKED]: { subject: { format: 'jwt_id', jti: 't-1' } } }, null)).revocations,
    ).toStrictEqual([{ filter: { jti: 't-1' }, options: { before: new Date((IAT + 1) * 1000) } }]);
  });

  it("uses the end of the second of the event's event_timestamp as before, never later than now", () => {
    expect(
      plan(set({ [SESSION_REVOKED]: { event_timestamp: IAT - 30 } })).revocations[0].options,
    ).toStrictEqual({
      before: new Date((IAT - 29) * 1000),
    });
    expect(
      plan(set({ [SESSION_REVOKED]: { event_timestamp: IAT + 3600 } })).revocations[0].options,
    ).toStrictEqual({
      before: new Date(NOW),
    });
    expect(
      plan(set({ [SESSION_REVOKED]: { event_timestamp: 'yesterday' } })).revocations[0].options,
    ).toStrictEqual({
      before: new Date((IAT + 1) * 1000),
    });
  });

  it("prefers the event payload's subject (RISC, earlier CAEP drafts) to sub_id", () => {
    expect(
      plan(set({ [SESSION_REVOKED]: { subject: { format: 'iss_sub', iss: ISSUER, sub: 'bob' } } }))
        .revocations[0].filter,
    ).toStrictEqual({ sub: 'bob' });
  });

  it('ignores unknown events, and events whose subject maps to nothing, applying the rest', () => {
    expect(
      plan(
        set({
          'urn:example:unknown': {},
          [CREDENTIAL_CHANGE]: { subject: { format: 'email', email: 'bob@example.com' } },
          [`${RISC}account-disabled`]: {
            subject: { format: 'iss_sub', iss: 'https://other.example.com', sub: 'bob' },
          },
          [SESSION_REVOKED]: { subject: { session: { format: 'opaque', id: 's-9' } } },
        }),
      ),
    ).toStrictEqual({
      revocations: [{ filter: { sid: 's-9' }, options: { before: new Date((IAT + 1) * 1000) } }],
      ignored: [
        { eventType: 'urn:example:unknown', reason: 'unknown_event' },
        { eventType: CREDENTIAL_CHANGE, reason: 'unsupported_subject' },
        { eventType: `${RISC}account-disabled`, reason: 'foreign_subject' },
      ],
    });
  });

  it('ignores a handled event without any subject', () => {
    expect(plan(set({ [SESSION_REVOKED]: {} }, null))).toStrictEqual({
      revocations: [],
      ignored: [{ eventType: SESSION_REVOKED, reason: 'unsupported_subject' }],
    });
  });
});
