import fc from 'fast-check';
import { IntrospectionResponseError, IntrospectionUnavailableError } from '../errors/introspection.errors';
import { IntrospectionHttpResponse, parseIntrospectionResponse } from './introspection-response.parser';

// Fuzzing the response parser: whatever the authorization server (or whoever
// sits in its place) sends, only HTTP 200 with a JSON object whose own
// `active` member is the JSON boolean true yields an active result, and
// nothing but the two documented errors is ever thrown.

const RUNS = 10_000;

const memberValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(true, false, 'true', 1, 0, null, [], {}, 1e308, -1, '', 'Bearer', 'DPoP'),
);
const memberName = fc.constantFrom(
  'active',
  'scope',
  'exp',
  'iat',
  'nbf',
  'aud',
  'sub',
  'iss',
  'jti',
  'client_id',
  'username',
  'token_type',
  '__proto__',
  'constructor',
  'error',
);
/** Bodies that look like introspection answers, and JSON-ish or plain garbage. */
const body = fc.oneof(
  fc
    .array(fc.tuple(memberName, memberValue), { maxLength: 8 })
    .map(
      (members) =>
        `{${members.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`,
    ),
  fc.dictionary(fc.string({ maxLength: 6 }), memberValue).map((value) => JSON.stringify(value)),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '',
    'null',
    '[]',
    '"true"',
    '{"active":tru',
    '<html>error</html>',
    '{"active":true}garbage',
  ),
);
const status = fc.oneof(
  fc.constant(200),
  fc.constantFrom(400, 401, 429, 500, 503),
  fc.integer({ min: 100, max: 599 }),
);
const headers = fc.record(
  { 'retry-after': fc.oneof(fc.string({ maxLength: 30 }), fc.nat().map(String)) },
  { requiredKeys: [] },
);

describe('parseIntrospectionResponse (fuzzed)', () => {
  it(`grants only a 200 JSON object with own "active": true, and throws only documented errors (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(status, headers, body, (code, head, text) => {
        const response: IntrospectionHttpResponse = { status: code, headers: head, body: text };
        let result;
        try {
          result = parseIntrospectionResponse(response);
        } catch (error) {
          expect(
            error instanceof IntrospectionResponseError || error instanceof IntrospectionUnavailableError,
          ).toBe(true);
          return;
        }
        expect(typeof result.active).toBe('boolean');
        if (result.active) {
          expect(code).toBe(200);
          const parsed: unknown = JSON.parse(text);
          expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true);
          expect(Object.getOwnPropertyDescriptor(parsed, 'active')?.value).toBe(true);
        }
        expect(({} as Record<string, unknown>).active).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
  });
});
