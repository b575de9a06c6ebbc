import fc from 'fast-check';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { generateKeyPairSync, sign as signBytes } from 'node:crypto';
import { InvalidDpopProofException, UseDpopNonceException } from '../errors/bearer-token.exceptions';
import { resolveDpopOptions } from '../config/resolve-dpop-options';
import { DpopReplayCache } from './dpop-replay-cache';
import { parseDpopProof } from './dpop-proof.parser';
import { accessTokenHash, verifyDpopProof } from './dpop-proof.verifier';

// Fuzzing the DPoP proof parser and verifier: any DPoP header (random text,
// or a valid proof with its header, claims or signature mutated) is either
// refused with invalid_dpop_proof or is exactly the valid proof. 0 grants.

const RUNS = 10_000;
/** Signing and verifying 10,000 proofs takes seconds, more on a busy machine. */
const TIMEOUT_MS = 120_000;
const NOW_MS = 1_700_000_000_000;
const HTU = 'https://api.example.com/me';
const TOKEN = 'access-token';
const options = resolveDpopOptions({});

let jwk: JWK;
let jkt: string;
let sign: (header: Record<string, unknown>, claims: Record<string, unknown>) => Promise<string>;

beforeAll(async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  jwk = publicKey.export({ format: 'jwk' });
  jkt = await calculateJwkThumbprint(jwk, 'sha256');
  // Signed by hand: whatever the header says, as an attacker would.
  sign = (header, claims) => {
    const input = [{ alg: 'ES256', ...header }, claims]
      .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
      .join('.');
    const signature = signBytes('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return Promise.resolve(`${input}.${signature.toString('base64url')}`);
  };
});

const validHeader = () => ({ typ: 'dpop+jwt', jwk });
const validClaims = () => ({
  jti: 'j',
  htm: 'GET',
  htu: HTU,
  iat: NOW_MS / 1000,
  ath: accessTokenHash(TOKEN),
});

const anyValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constantFrom('dpop+jwt', 'DPOP+JWT', 'JWT', 'none', 'HS256', 'ES256', 'GET', 'POST', HTU, `${HTU}/`),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 3 }),
);
const mutation = fc.record({
  part: fc.constantFrom('header', 'claims'),
  member: fc.constantFrom(
    'typ',
    'alg',
    'jwk',
    'jwk.x',
    'jwk.d',
    'jwk.kty',
    'jti',
    'htm',
    'htu',
    'iat',
    'ath',
    'nonce',
  ),
  value: anyValue,
});

/** What the fuzzer sends as the DPoP header. */
const header = fc.oneof(
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/), { minLength: 1, maxLength: 4 })
      .map((segments) => segments.join('.')),
  },
  { weight: 4, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }).map((m) => ({ mutations: m })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.nat({ max: 2 }), fc.nat(), fc.integer({ min: 1, max: 255 }))
      .map(([segment, index, xor]) => ({ flip: { segment, index, xor } })),
  },
);

type Generated =
  | string
  | { mutations: Array<{ part: string; member: string; value: unknown }> }
  | { flip: { segment: number; index: number; xor: number } };

async function proofOf(generated: Generated): Promise<string> {
  if (typeof generated === 'string') {
    return generated;
  }
  if ('mutations' in generated) {
    const parts: Record<string, Record<string, unknown>> = { header: validHeader(), claims: validClaims() };
    for (const { part, member, value } of generated.mutations) {
      if (member.startsWith('jwk.')) {
        parts.header.jwk = { ...(parts.header.jwk as object), [member.slice(4)]: value };
      } else {
        parts[part][member] = value;
      }
    }
    return sign(parts.header, parts.claims);
  }
  const segments = (await sign(validHeader(), validClaims())).split('.');
  const bytes = Buffer.from(segments[generated.flip.segment], 'base64url');
  if (bytes.length > 0) {
    bytes[generated.flip.index % bytes.length] ^= generated.flip.xor;
  }
  segments[generated.flip.segment] = bytes.toString('base64url');
  return segments.join('.');
}

describe('DPoP proofs (fuzzed)', () => {
  it(
    `parseDpopProof returns a proof with a dpop+jwt typ, an allowed alg and a public jwk, or refuses (${RUNS} runs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(header, async (generated) => {
          const value = await proofOf(generated);
          let parsed: ReturnType<typeof parseDpopProof>;
          try {
            parsed = parseDpopProof(value, options.algorithms);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidDpopProofException);
            return;
          }
          expect(options.algorithms).toContain(parsed.alg);
          expect(['EC', 'RSA', 'OKP']).toContain(parsed.jwk.kty);
          expect(parsed.jwk).not.toHaveProperty('d');
          expect(typeof parsed.claims.jti).toBe('string');
          expect(Number.isFinite(parsed.claims.iat)).toBe(true);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    `verifyDpopProof grants no proof that fails a check of RFC 9449 §4.3 (${RUNS} runs)`,
    async () => {
      let wrongfulGrants = 0;
      await fc.assert(
        fc.asyncProperty(header, async (generated) => {
          const value = await proofOf(generated);
          const replays = new DpopReplayCache({ now: () => NOW_MS }, undefined, 100);
          try {
            await verifyDpopProof(
              {
                proof: value,
                count: 1,
                method: 'GET',
                htu: HTU,
                accessToken: TOKEN,
                nowMs: NOW_MS,
                skewMs: 5000,
              },
              { options, replays },
              jkt,
            );
          } catch (error) {
            expect(error instanceof InvalidDpopProofException || error instanceof UseDpopNonceException).toBe(
              true,
            );
            return;
          }
          // Granted: checked here again, independently of the parser.
          const [head, payload] = value
            .split('.')
            .slice(0, 2)
            .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>);
          const ok =
            head.typ === 'dpop+jwt' &&
            head.alg === 'ES256' &&
            JSON.stringify(head.jwk) === JSON.stringify(jwk) &&
            payload.htm === 'GET' &&
            payload.htu === HTU &&
            payload.iat === NOW_MS / 1000 &&
            payload.ath === accessTokenHash(TOKEN) &&
            typeof payload.jti === 'string';
          if (!ok) {
            wrongfulGrants++;
          }
        }),
        { numRuns: RUNS },
      );
      expect(wrongfulGrants).toBe(0);
    },
    TIMEOUT_MS,
  );
});
