import { rejectionOf } from '../../test-support/rejection-of';
import { resolveIntrospectionOptions } from '../config/resolve-options';
import {
  DpopRequiredException,
  InvalidDpopProofException,
  InvalidTokenException,
} from '../errors/bearer-token.exceptions';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import { SENDER_CONSTRAINED, TokenBindingVerifier, type BindingRequest } from './token-binding.verifier';

// The cnf rules (RFC 7800 §3.1): a confirmation is verified, or the token
// is refused; a sender-constrained token is never taken for a bearer token.

const JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
const X5T = 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2';

const verifier = (extra: Record<string, unknown> = {}) =>
  new TokenBindingVerifier(
    resolveIntrospectionOptions({
      endpoint: 'https://as.example.com/introspect',
      clientId: 'api',
      clientSecret: 's',
      ...extra,
    }),
    { now: () => 1_700_000_000_000 },
  );
const result = (overrides: Partial<IntrospectionResult> = {}): IntrospectionResult => ({
  active: true,
  tokenType: 'Bearer',
  scopes: [],
  aud: [],
  claims: { active: true },
  ...overrides,
});
const request = (overrides: Partial<BindingRequest> = {}): BindingRequest => ({
  scheme: 'bearer',
  token: 'token',
  method: 'GET',
  target: '/me',
  headers: {},
  dpopCount: 0,
  ...overrides,
});
const description = async (
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => Error = InvalidTokenException,
) => {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(type);
  return (error as InvalidTokenException).errorDescription;
};

describe('TokenBindingVerifier', () => {
  it('lets plain bearer tokens and inactive answers through (the requirements decide)', async () => {
    await expect(verifier().verify(result(), request())).resolves.toBeUndefined();
    await expect(
      verifier().verify(result({ active: false, cnf: { jwk: {} } }), request()),
    ).resolves.toBeUndefined();
  });

  it.each([
    ['an empty cnf', { cnf: {} }],
    ['a method it does not verify (jwk)', { cnf: { jwk: { kty: 'EC' } } }],
    ['a method it does not verify beside jkt', { cnf: { jkt: JKT, kid: 'k' } }],
    ['a jkt that is not a string', { cnf: { jkt: 42 } }],
    ['cnf in claims only (a hand-built result)', { claims: { active: true, cnf: { x5u: 'https://x' } } }],
    ['two sources that disagree', { cnf: { jkt: JKT }, accessTokenClaims: { cnf: { jkt: 'other' } } }],
  ])('refuses %s as sender-constrained', async (_label, overrides: Partial<IntrospectionResult>) => {
    expect(await description(verifier().verify(result(overrides), request({ scheme: 'dpop' })))).toBe(
      SENDER_CONSTRAINED,
    );
  });

  it('refuses a certificate-bound token without a certificate, whichever source holds the cnf', async () => {
    for (const overrides of [
      { cnf: { 'x5t#S256': X5T } },
      { accessTokenClaims: { cnf: { 'x5t#S256': X5T } } },
    ]) {
      expect(await description(verifier().verify(result(overrides), request()))).toBe(
        'The access token is bound to a client certificate (cnf x5t#S256) and the request presented none.',
      );
    }
  });

  it('refuses a DPoP-bound token without the DPoP scheme, and a DPoP type without jkt', async () => {
    expect(
      await description(verifier().verify(result({ cnf: { jkt: JKT } }), request()), DpopRequiredException),
    ).toContain('DPoP-bound');
    expect(
      await description(verifier().verify(result({ tokenType: 'DPoP' }), request({ scheme: 'dpop' }))),
    ).toBe('The access token is of type DPoP but bound to no key (cnf.jkt).');
  });

  it('refuses a DPoP-bound token where no HTTP request can carry the proof (microservices)', async () => {
    const rpc = request({ scheme: 'dpop', method: undefined, target: undefined });
    expect(
      await description(verifier().verify(result({ cnf: { jkt: JKT } }), rpc), InvalidDpopProofException),
    ).toBe('DPoP proofs cannot be checked in this context (no HTTP request).');
  });

  it('applies the route mode over the module mode', async () => {
    expect(await description(verifier().verify(result(), request(), 'required'), DpopRequiredException)).toBe(
      'This resource requires a DPoP-bound access token and a DPoP proof.',
    );
    await expect(
      verifier({ dpop: { mode: 'required' }, publicUrl: 'https://api.example.com' }).verify(
        result(),
        request(),
        'allowed',
      ),
    ).resolves.toBeUndefined();
  });
});
