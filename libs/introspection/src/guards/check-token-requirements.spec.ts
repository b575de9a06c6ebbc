import { rfc7662ExampleAnswer } from '../../test-support/rfc7662-example';
import { thrown } from '../../test-support/thrown';
import {
  InsufficientScopeException,
  InsufficientUserAuthenticationException,
  InvalidTokenException,
} from '../errors/bearer-token.exceptions';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import { parseIntrospectionClaims } from '../result/introspection-response.parser';
import { checkTokenRequirements, type ResolvedTokenRequirements } from './check-token-requirements';

/** The fixed "current time" of every test, in milliseconds (2023-11-14T22:13:20Z). */
const NOW_MS = 1_700_000_000_000;
const NOW_S = NOW_MS / 1000;
const TOLERANCE_MS = 5_000;

function activeResult(overrides: Partial<IntrospectionResult> = {}): IntrospectionResult {
  return { active: true, tokenType: 'Bearer', scopes: [], aud: [], claims: { active: true }, ...overrides };
}

function requirements(overrides: Partial<ResolvedTokenRequirements> = {}): ResolvedTokenRequirements {
  return {
    scopes: [],
    audience: [],
    clockToleranceMs: TOLERANCE_MS,
    allowMissingTokenType: false,
    acrValues: [],
    ...overrides,
  };
}

function invalidToken(
  result: IntrospectionResult,
  required: ResolvedTokenRequirements = requirements(),
): InvalidTokenException {
  const error = thrown(InvalidTokenException, () => checkTokenRequirements(result, required, NOW_MS));
  expect(error.getStatus()).toBe(401);
  expect(error.error).toBe('invalid_token');
  return error;
}

describe('checkTokenRequirements', () => {
  it('accepts an active bearer token when nothing else is required', () => {
    expect(checkTokenRequirements(activeResult(), requirements(), NOW_MS)).toBeUndefined();
  });

  it('refuses an inactive token', () => {
    const inactive: IntrospectionResult = { active: false, scopes: [], aud: [], claims: { active: false } };
    expect(invalidToken(inactive).errorDescription).toBe('The access token is not active.');
  });

  it('refuses an inactive token even when its other members would pass', () => {
    const inactive: IntrospectionResult = {
      ...activeResult({ scopes: ['read'], aud: ['orders-api'], exp: NOW_S + 60 }),
      active: false,
    };
    expect(invalidToken(inactive).errorDescription).toBe('The access token is not active.');
  });

  describe('exp', () => {
    it.each([
      ['far in the past', NOW_S - 3600],
      ['just beyond the tolerance', NOW_S - 6],
      ['exactly at the tolerance', NOW_S - 5],
    ])('refuses a token that expired %s', (_kind, exp) => {
      expect(invalidToken(activeResult({ exp })).errorDescription).toBe('The access token has expired.');
    });

    it.each([
      ['expired within the tolerance', NOW_S - 4],
      ['expiring now, within the tolerance', NOW_S],
      ['expiring later', NOW_S + 60],
    ])('accepts a token %s', (_kind, exp) => {
      expect(checkTokenRequirements(activeResult({ exp }), requirements(), NOW_MS)).toBeUndefined();
    });

    it('refuses a token expiring now when there is no tolerance', () => {
      const error = invalidToken(activeResult({ exp: NOW_S }), requirements({ clockToleranceMs: 0 }));
      expect(error.errorDescription).toBe('The access token has expired.');
    });

    it('accepts a token expiring one second from now when there is no tolerance', () => {
      const required = requirements({ clockToleranceMs: 0 });
      expect(checkTokenRequirements(activeResult({ exp: NOW_S + 1 }), required, NOW_MS)).toBeUndefined();
    });

    it('moves with the clock it is given, not the wall clock', () => {
      const result = activeResult({ exp: NOW_S + 60 });
      expect(checkTokenRequirements(result, requirements(), NOW_MS)).toBeUndefined();
      expect(() => checkTokenRequirements(result, requirements(), NOW_MS + 65_000)).toThrow(
        InvalidTokenException,
      );
    });
  });

  describe('nbf', () => {
    it.each([
      ['far in the future', NOW_S + 3600],
      ['just beyond the tolerance', NOW_S + 6],
    ])('refuses a token valid only from %s', (_kind, nbf) => {
      expect(invalidToken(activeResult({ nbf })).errorDescription).toBe('The access token is not valid yet.');
    });

    it.each([
      ['exactly at the tolerance', NOW_S + 5],
      ['within the tolerance', NOW_S + 4],
      ['now', NOW_S],
      ['in the past', NOW_S - 3600],
    ])('accepts a token valid from %s', (_kind, nbf) => {
      expect(checkTokenRequirements(activeResult({ nbf }), requirements(), NOW_MS)).toBeUndefined();
    });

    it('refuses a token valid from one second from now when there is no tolerance', () => {
      const error = invalidToken(activeResult({ nbf: NOW_S + 1 }), requirements({ clockToleranceMs: 0 }));
      expect(error.errorDescription).toBe('The access token is not valid yet.');
    });
  });

  describe('token_type', () => {
    it('refuses an answer with neither token_type nor aud by default (what oidc-provider answers for refresh tokens)', () => {
      expect(invalidToken(activeResult({ tokenType: undefined })).errorDescription).toBe(
        'The token is not an access token.',
      );
    });

    it('accepts an answer without token_type that names an audience (RFC 7662 §2.2 makes token_type optional)', () => {
      const result = activeResult({ tokenType: undefined, aud: ['https://protected.example.net/resource'] });
      expect(checkTokenRequirements(result, requirements(), NOW_MS)).toBeUndefined();
    });

    it("accepts RFC 7662 §2.2's own example answer, dates moved to now, with default options", () => {
      const result = parseIntrospectionClaims(rfc7662ExampleAnswer(NOW_S));
      const required = requirements({
        scopes: ['read'],
        audience: ['https://protected.example.net/resource'],
      });
      expect(checkTokenRequirements(result, required, NOW_MS)).toBeUndefined();
      expect(checkTokenRequirements(result, requirements(), NOW_MS)).toBeUndefined();
    });

    it.each([
      ['Ory Hydra: token_use refresh_token, token_type Bearer', { token_use: 'refresh_token' }, 'Bearer'],
      ['Ory Hydra: token_use refresh_token, no token_type', { token_use: 'refresh_token' }, undefined],
      ['Keycloak: typ Refresh', { typ: 'Refresh' }, 'Bearer'],
      ['Keycloak: typ Offline', { typ: 'Offline' }, undefined],
      ['Keycloak: typ ID', { typ: 'ID' }, 'Bearer'],
    ])(
      'refuses a token the answer says is no access token (%s), whatever allowMissingTokenType says',
      (_server, claims, tokenType) => {
        for (const allowMissingTokenType of [false, true]) {
          const result = activeResult({ tokenType, aud: ['api'], claims: { active: true, ...claims } });
          const error = invalidToken(result, requirements({ allowMissingTokenType }));
          expect(error.errorDescription).toBe('The token is not an access token.');
        }
      },
    );

    it.each([
      ['token_use access_token', { token_use: 'access_token' }],
      ['typ Bearer', { typ: 'Bearer' }],
      ['typ at+jwt', { typ: 'at+jwt' }],
    ])('accepts an access token the answer labels as one (%s)', (_label, claims) => {
      const result = activeResult({ claims: { active: true, ...claims } });
      expect(checkTokenRequirements(result, requirements(), NOW_MS)).toBeUndefined();
    });

    it('accepts a missing token type when allowMissingTokenType is set', () => {
      const required = requirements({ allowMissingTokenType: true });
      expect(
        checkTokenRequirements(activeResult({ tokenType: undefined }), required, NOW_MS),
      ).toBeUndefined();
    });

    it.each(['Bearer', 'bearer', 'BEARER', 'bEaReR'])('accepts %p', (tokenType) => {
      expect(checkTokenRequirements(activeResult({ tokenType }), requirements(), NOW_MS)).toBeUndefined();
    });

    it.each([
      'DPoP',
      'dpop',
      'N_A',
      'mac',
      'refresh_token',
      'Bearer ',
      '',
      'urn:ietf:params:oauth:token-type:jwt',
    ])('refuses %p, whatever allowMissingTokenType says', (tokenType) => {
      for (const allowMissingTokenType of [false, true]) {
        const error = invalidToken(activeResult({ tokenType }), requirements({ allowMissingTokenType }));
        expect(error.errorDescription).toBe('The access token is not a bearer token.');
      }
    });
  });

  describe('cnf: sender-constrained tokens (RFC 7800), whose binding is not verified here', () => {
    const SENDER_CONSTRAINED =
      'The access token is sender-constrained (cnf) and this API cannot verify the binding.';
    const certificateBound = { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' };
    const dpopBound = { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' };

    it.each([
      ['certificate-bound (x5t#S256), token_type Bearer', { tokenType: 'Bearer', cnf: certificateBound }],
      ['DPoP-bound (jkt), token_type Bearer', { tokenType: 'Bearer', cnf: dpopBound }],
      ['with an empty cnf', { cnf: {} }],
    ])('refuses a token %s', (_kind, overrides: Partial<IntrospectionResult>) => {
      expect(invalidToken(activeResult(overrides)).errorDescription).toBe(SENDER_CONSTRAINED);
    });

    it('refuses one without a token type, even when allowMissingTokenType is set', () => {
      const error = invalidToken(
        activeResult({ tokenType: undefined, cnf: certificateBound }),
        requirements({ allowMissingTokenType: true }),
      );
      expect(error.errorDescription).toBe(SENDER_CONSTRAINED);
    });

    it('refuses one whose cnf is only in claims (a result built by hand or by an older cache entry)', () => {
      const result = activeResult({ claims: { active: true, cnf: dpopBound } });
      expect(invalidToken(result).errorDescription).toBe(SENDER_CONSTRAINED);
    });

    it('refuses a locally verified JWT access token that carries cnf itself', () => {
      const result = activeResult({ accessTokenClaims: { sub: 'u1', cnf: certificateBound } });
      expect(invalidToken(result).errorDescription).toBe(SENDER_CONSTRAINED);
    });

    it('is a 401 before a missing scope is a 403', () => {
      const result = activeResult({ cnf: certificateBound });
      expect(invalidToken(result, requirements({ scopes: ['admin'] })).errorDescription).toBe(
        SENDER_CONSTRAINED,
      );
    });
  });

  describe('audience', () => {
    it.each([
      ['any audience is required', [], []],
      ['any audience is required, token has one', [], ['payments-api']],
      ['the only accepted audience matches', ['orders-api'], ['orders-api']],
      ['one of several token audiences matches', ['orders-api'], ['payments-api', 'orders-api']],
      ['one of several accepted audiences matches', ['orders-api', 'payments-api'], ['payments-api']],
    ])('accepts when %s', (_kind, audience, aud) => {
      expect(
        checkTokenRequirements(activeResult({ aud }), requirements({ audience }), NOW_MS),
      ).toBeUndefined();
    });

    it.each([
      ['the token has no audience', ['orders-api'], []],
      ['no audience matches', ['orders-api', 'payments-api'], ['billing-api']],
      ['only a prefix matches', ['orders-api'], ['orders-api-v2']],
      ['only the case differs', ['orders-api'], ['Orders-API']],
    ])('refuses when %s', (_kind, audience, aud) => {
      expect(invalidToken(activeResult({ aud }), requirements({ audience })).errorDescription).toBe(
        'The access token is not intended for this audience.',
      );
    });
  });

  describe('scopes', () => {
    it.each([
      ['none are required', [], []],
      ['the one required is present', ['read'], ['read']],
      ['all required are present, among others', ['read', 'write'], ['admin', 'write', 'read']],
    ])('accepts when %s', (_kind, scopes, granted) => {
      const result = activeResult({ scopes: granted });
      expect(checkTokenRequirements(result, requirements({ scopes }), NOW_MS)).toBeUndefined();
    });

    it.each([
      ['the token has none', ['read'], [], 'read'],
      ['one of two is missing', ['read', 'write'], ['read'], 'read write'],
      ['all are missing', ['read', 'write', 'admin'], ['other'], 'read write admin'],
      ['only the case differs', ['read'], ['READ'], 'read'],
    ])('refuses with 403 insufficient_scope when %s', (_kind, scopes, granted, scope) => {
      const error = thrown(InsufficientScopeException, () =>
        checkTokenRequirements(activeResult({ scopes: granted }), requirements({ scopes }), NOW_MS),
      );
      expect(error.getStatus()).toBe(403);
      expect(error.error).toBe('insufficient_scope');
      expect(error.scope).toBe(scope);
      expect(error.challenge()).toStrictEqual({
        error: 'insufficient_scope',
        errorDescription: 'The access token lacks a required scope.',
        scope,
      });
    });
  });

  describe('precedence: a token that is not valid is 401 before a scope is 403', () => {
    it.each([
      ['expired', { exp: NOW_S - 60 }, 'The access token has expired.'],
      ['not valid yet', { nbf: NOW_S + 60 }, 'The access token is not valid yet.'],
      ['not a bearer token', { tokenType: 'DPoP' }, 'The access token is not a bearer token.'],
      [
        'for another audience',
        { aud: ['billing-api'] },
        'The access token is not intended for this audience.',
      ],
    ])('%s and missing a scope', (_kind, overrides: Partial<IntrospectionResult>, description) => {
      const required = requirements({ scopes: ['admin'], audience: ['orders-api'] });
      const result = activeResult({ aud: ['orders-api'], ...overrides });
      expect(invalidToken(result, required).errorDescription).toBe(description);
    });
  });

  describe('step-up (RFC 9470): acr and auth_time', () => {
    const MFA = 'urn:example:mfa';
    const FIVE_MINUTES_MS = 300_000;
    const withClaims = (claims: Record<string, unknown>) =>
      activeResult({ claims: { active: true, ...claims } });
    const stepUp = (result: IntrospectionResult, required: ResolvedTokenRequirements) => {
      const error = thrown(InsufficientUserAuthenticationException, () =>
        checkTokenRequirements(result, required, NOW_MS),
      );
      expect(error.getStatus()).toBe(401);
      expect(error.error).toBe('insufficient_user_authentication');
      return error;
    };

    it.each<[string, Record<string, unknown>]>([
      ['missing', {}],
      ['wrong', { acr: 'urn:example:password' }],
      ['not a string', { acr: [MFA] }],
    ])('refuses an acr that is %s, naming the accepted values', (_label, claims) => {
      const error = stepUp(withClaims(claims), requirements({ acrValues: [MFA, 'urn:example:hwk'] }));
      expect(error.challenge()).toStrictEqual({
        error: 'insufficient_user_authentication',
        errorDescription: expect.stringContaining('authenticat') as unknown,
        scope: undefined,
        acrValues: `${MFA} urn:example:hwk`,
      });
    });

    it('accepts an acr that is one of the values', () => {
      expect(
        checkTokenRequirements(withClaims({ acr: MFA }), requirements({ acrValues: ['x', MFA] }), NOW_MS),
      ).toBeUndefined();
    });

    it('ignores acr when the route requires none', () => {
      expect(checkTokenRequirements(withClaims({}), requirements(), NOW_MS)).toBeUndefined();
    });

    it.each<[string, Record<string, unknown>]>([
      ['missing', {}],
      ['not a number', { auth_time: String(NOW_S) }],
      ['too old', { auth_time: NOW_S - 300 - 5 - 1 }],
      ['ahead of the clock beyond the tolerance', { auth_time: NOW_S + 6 }],
      ['in milliseconds', { auth_time: NOW_MS }],
    ])('refuses an auth_time that is %s, naming max_age in seconds', (_label, claims) => {
      const error = stepUp(withClaims(claims), requirements({ maxAgeMs: FIVE_MINUTES_MS }));
      expect(error.challenge()).toMatchObject({ maxAge: 300 });
      expect(error.challenge().acrValues).toBeUndefined();
    });

    it.each([
      ['fresh', NOW_S - 10],
      ['exactly max age old plus the tolerance', NOW_S - 300 - 5],
      ['slightly ahead, within the tolerance', NOW_S + 5],
    ])('accepts an auth_time that is %s', (_label, authTime) => {
      expect(
        checkTokenRequirements(
          withClaims({ auth_time: authTime }),
          requirements({ maxAgeMs: FIVE_MINUTES_MS }),
          NOW_MS,
        ),
      ).toBeUndefined();
    });

    it('moves with the clock it is given: a fresh authentication grows old', () => {
      const result = withClaims({ auth_time: NOW_S });
      const required = requirements({ maxAgeMs: FIVE_MINUTES_MS });
      expect(checkTokenRequirements(result, required, NOW_MS + FIVE_MINUTES_MS)).toBeUndefined();
      expect(() => checkTokenRequirements(result, required, NOW_MS + FIVE_MINUTES_MS + 6_000)).toThrow(
        InsufficientUserAuthenticationException,
      );
    });

    it('names both requirements when the route has both', () => {
      const error = stepUp(withClaims({ acr: MFA }), requirements({ acrValues: [MFA], maxAgeMs: 60_000 }));
      expect(error.challenge()).toMatchObject({ acrValues: MFA, maxAge: 60 });
      expect(error.getResponse()).toMatchObject({ acr_values: MFA, max_age: 60 });
    });

    it('is a 401 before a missing scope is a 403, and lists the missing scopes in the challenge', () => {
      const error = stepUp(
        activeResult({ scopes: ['read'], claims: { active: true } }),
        requirements({ scopes: ['read', 'approve'], acrValues: [MFA] }),
      );
      expect(error.challenge().scope).toBe('read approve');
    });

    it('leaves the scope out of the challenge when the token has every scope', () => {
      const error = stepUp(
        activeResult({ scopes: ['approve'], claims: { active: true } }),
        requirements({ scopes: ['approve'], acrValues: [MFA] }),
      );
      expect(error.challenge().scope).toBeUndefined();
    });

    it('leaves a missing scope a 403 when the authentication is good enough', () => {
      expect(() =>
        checkTokenRequirements(
          activeResult({ claims: { active: true, acr: MFA } }),
          requirements({ scopes: ['approve'], acrValues: [MFA] }),
          NOW_MS,
        ),
      ).toThrow(InsufficientScopeException);
    });

    it('comes after invalid_token: an inactive token is not stepped up', () => {
      invalidToken({ ...withClaims({}), active: false }, requirements({ acrValues: [MFA] }));
    });
  });
});
