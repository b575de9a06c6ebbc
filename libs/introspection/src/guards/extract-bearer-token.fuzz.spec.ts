import fc from 'fast-check';
import {
  InvalidBearerRequestException,
  MissingBearerTokenException,
} from '../errors/bearer-token.exceptions';
import { extractBearerToken } from './extract-bearer-token';

// Fuzzing the Authorization header parser: any header yields either an RFC
// 6750 b64token no longer than the limit, taken from a single "Bearer"
// header, or one of the two documented exceptions.

const RUNS = 10_000;
const MAX = 64;
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

const tokenish = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9\-._~+/]{1,70}={0,3}$/),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('"quoted"', 'a,b', 'a b', 'a\r\nb', 'a\0b', 'tökén', '=abc', 'abc=d', ''),
);
const header = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Bearer:', 'Bearerx', ''),
      fc.stringMatching(/^[ \t]{0,3}$/),
      tokenish,
    )
    .map(([scheme, space, token]) => `${scheme}${space}${token}`),
  fc.string({ maxLength: 100 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
);
const authorization = fc.oneof(
  fc.constant(undefined),
  header,
  fc.array(header, { minLength: 0, maxLength: 3 }),
);

describe('extractBearerToken (fuzzed)', () => {
  it(`returns a b64token of a single Bearer header or throws a documented exception (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(authorization, fc.integer({ min: 0, max: 3 }), (value, count) => {
        let token: string;
        try {
          token = extractBearerToken({ authorization: value, count }, MAX);
        } catch (error) {
          expect(
            error instanceof MissingBearerTokenException || error instanceof InvalidBearerRequestException,
          ).toBe(true);
          return;
        }
        expect(count).toBeLessThanOrEqual(1);
        const single = Array.isArray(value) ? value : [value];
        expect(single).toHaveLength(1);
        expect(B64TOKEN.test(token)).toBe(true);
        expect(token.length).toBeLessThanOrEqual(MAX);
        expect(single[0]).toMatch(new RegExp(`^bearer +${token.replace(/[.+/]/g, '\\$&')}$`, 'i'));
      }),
      { numRuns: RUNS },
    );
  });
});
