import { thrown } from '../../test-support/thrown';
import {
  IntrospectionResponseError,
  IntrospectionUnavailableError,
  type IntrospectionResponseErrorReason,
} from '../errors/introspection.errors';
import {
  clampRetryAfter,
  parseIntrospectionResponse,
  parseRetryAfter,
  type IntrospectionHttpResponse,
} from './introspection-response.parser';

/** Appears in response bodies; must never make it into an error message. */
const MARKER = 'BODY-MARKER-5e1f0c';

const JSON_TYPE = { 'content-type': 'application/json' };

function response(
  status: number,
  body: string,
  headers: Record<string, string> = status === 200 ? JSON_TYPE : {},
): IntrospectionHttpResponse {
  return { status, headers, body };
}

function ok(body: unknown): IntrospectionHttpResponse {
  return response(200, JSON.stringify(body));
}

function responseError(http: IntrospectionHttpResponse): IntrospectionResponseError {
  return thrown(IntrospectionResponseError, () => parseIntrospectionResponse(http));
}

describe('parseIntrospectionResponse', () => {
  describe('HTTP 200 with an active token', () => {
    it('reads every standard member and keeps the whole object as claims', () => {
      const body = {
        active: true,
        scope: 'read:orders write:orders',
        client_id: 'shop-frontend',
        username: 'jdoe',
        token_type: 'Bearer',
        exp: 1_700_000_600,
        iat: 1_700_000_000,
        nbf: 1_699_999_990,
        sub: 'user-42',
        aud: 'orders-api',
        iss: 'https://as.example.com',
        jti: 'token-1',
        tenant: { id: 't-1' },
      };
      expect(parseIntrospectionResponse(ok(body))).toStrictEqual({
        active: true,
        scope: 'read:orders write:orders',
        scopes: ['read:orders', 'write:orders'],
        clientId: 'shop-frontend',
        username: 'jdoe',
        tokenType: 'Bearer',
        exp: 1_700_000_600,
        iat: 1_700_000_000,
        nbf: 1_699_999_990,
        sub: 'user-42',
        aud: ['orders-api'],
        iss: 'https://as.example.com',
        jti: 'token-1',
        claims: body,
      });
    });

    it('accepts the bare minimum {"active":true}', () => {
      expect(parseIntrospectionResponse(response(200, '{"active":true}'))).toStrictEqual({
        active: true,
        scope: undefined,
        scopes: [],
        clientId: undefined,
        username: undefined,
        tokenType: undefined,
        exp: undefined,
        iat: undefined,
        nbf: undefined,
        sub: undefined,
        aud: [],
        iss: undefined,
        jti: undefined,
        claims: { active: true },
      });
    });

    it.each([
      ['read', ['read']],
      ['read write', ['read', 'write']],
      ['  read   write ', ['read', 'write']],
      ['', []],
    ])('splits scope %p into %p', (scope, scopes) => {
      const result = parseIntrospectionResponse(ok({ active: true, scope }));
      expect(result.scope).toBe(scope);
      expect(result.scopes).toStrictEqual(scopes);
    });

    it.each([
      ['orders-api', ['orders-api']],
      [[], []],
      [['orders-api'], ['orders-api']],
      [
        ['orders-api', 'payments-api'],
        ['orders-api', 'payments-api'],
      ],
    ])('reads aud %p as %p', (aud, expected) => {
      expect(parseIntrospectionResponse(ok({ active: true, aud })).aud).toStrictEqual(expected);
    });

    it.each([
      ['certificate-bound (RFC 8705)', { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' }],
      ['DPoP-bound (RFC 9449)', { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' }],
    ])('reads the cnf of a %s token', (_kind, cnf) => {
      const result = parseIntrospectionResponse(ok({ active: true, token_type: 'Bearer', cnf }));
      expect(result.cnf).toStrictEqual(cnf);
    });

    it('has no cnf for a plain bearer token', () => {
      expect(parseIntrospectionResponse(ok({ active: true, token_type: 'Bearer' }))).not.toHaveProperty(
        'cnf',
      );
    });

    it('accepts surrounding whitespace in the body', () => {
      expect(parseIntrospectionResponse(response(200, ' \n{"active": true}\n')).active).toBe(true);
    });
  });

  describe('HTTP 200 with an inactive token', () => {
    it('reads {"active":false}', () => {
      expect(parseIntrospectionResponse(response(200, '{"active":false}'))).toStrictEqual({
        active: false,
        scopes: [],
        aud: [],
        claims: { active: false },
      });
    });

    it('ignores whatever else the body says, even wrongly typed members', () => {
      const body = {
        active: false,
        scope: ['admin'],
        exp: 'never',
        aud: 42,
        token_type: true,
        sub: null,
      };
      const result = parseIntrospectionResponse(ok(body));
      expect(result.active).toBe(false);
      expect(result.scopes).toStrictEqual([]);
      expect(result.aud).toStrictEqual([]);
      expect(result.scope).toBeUndefined();
      expect(result.exp).toBeUndefined();
      expect(result.tokenType).toBeUndefined();
      expect(result.sub).toBeUndefined();
    });
  });

  describe('HTTP 200 that is not an RFC 7662 answer: malformed_response', () => {
    it.each([
      ['"true" (a string)', '{"active":"true"}'],
      ['"false" (a string)', '{"active":"false"}'],
      ['1', '{"active":1}'],
      ['0', '{"active":0}'],
      ['null', '{"active":null}'],
      ['an object', '{"active":{}}'],
      ['missing', '{"scope":"read"}'],
      ['missing (empty object)', '{}'],
    ])('active %s', (_kind, body) => {
      const error = responseError(response(200, body));
      expect(error.reason).toBe<IntrospectionResponseErrorReason>('malformed_response');
      expect(error.status).toBe(200);
      expect(error.message).toContain('"active" is missing or not a JSON boolean');
    });

    it.each([
      ['an empty body', '', 'not JSON'],
      ['plain text', `${MARKER} is not JSON`, 'not JSON'],
      ['HTML', `<html><body><h1>Login</h1><p>${MARKER}</p></body></html>`, 'not JSON'],
      ['truncated JSON', `{"active":true,"sub":"${MARKER}"`, 'not JSON'],
      ['JSON with a trailing comma', `{"active":true,"sub":"${MARKER}",}`, 'not JSON'],
      ['an array', `[{"active":true,"sub":"${MARKER}"}]`, 'not a JSON object'],
      ['null', 'null', 'not a JSON object'],
      ['a JSON string', `"${MARKER}"`, 'not a JSON object'],
      ['a JSON boolean', 'true', 'not a JSON object'],
      ['a JSON number', '1', 'not a JSON object'],
    ])('body that is %s', (_kind, body, detail) => {
      const error = responseError(response(200, body));
      expect(error.reason).toBe('malformed_response');
      expect(error.status).toBe(200);
      expect(error.message).toContain(detail);
      expect(error.message).not.toContain(MARKER);
    });

    it.each([
      ['scope', ['read', 'write']],
      ['scope', 42],
      ['client_id', 7],
      ['username', { name: 'jdoe' }],
      ['token_type', true],
      ['sub', 42],
      ['sub', null],
      ['iss', ['https://as.example.com']],
      ['jti', 1],
      ['exp', '1700000000'],
      ['exp', null],
      ['iat', true],
      ['nbf', {}],
      ['aud', 42],
      ['aud', null],
      ['aud', { 0: 'orders-api' }],
      ['aud', ['orders-api', 42]],
      ['cnf', 'x5t#S256'],
      ['cnf', null],
      ['cnf', [{ jkt: 'abc' }]],
    ])('member %s of the wrong type (%p)', (member, value) => {
      const error = responseError(ok({ active: true, [member]: value, note: MARKER }));
      expect(error.reason).toBe('malformed_response');
      expect(error.status).toBe(200);
      expect(error.message).toContain(`"${member}"`);
      expect(error.message).not.toContain(MARKER);
    });

    it.each(['exp', 'iat', 'nbf'])('%s that overflows to Infinity', (member) => {
      const error = responseError(response(200, `{"active":true,"${member}":1e400}`));
      expect(error.reason).toBe('malformed_response');
      expect(error.message).toContain(`"${member}" is not a number`);
    });

    it('never echoes the value of a wrongly typed member', () => {
      const error = responseError(ok({ active: true, sub: [MARKER], scope: MARKER }));
      expect(error.message).toBe(
        'The introspection endpoint\'s answer is not a valid RFC 7662 response: "sub" is not a string.',
      );
    });
  });

  describe('__proto__ in the body', () => {
    it('does not pollute Object.prototype', () => {
      const result = parseIntrospectionResponse(
        response(200, '{"active":true,"__proto__":{"polluted":"yes","active":false}}'),
      );
      expect(result.active).toBe(true);
      expect(Object.prototype).not.toHaveProperty('polluted');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf(result.claims)).toBe(Object.prototype);
      expect((result.claims as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('does not let an "active" smuggled through __proto__ count as an answer', () => {
      const error = responseError(response(200, '{"__proto__":{"active":true}}'));
      expect(error.reason).toBe('malformed_response');
      expect(({} as Record<string, unknown>).active).toBeUndefined();
    });
  });

  describe('duplicate members', () => {
    it.each([
      ['{"active":false,"active":true}', '("active")'],
      ['{"active":true,"scope":"read","scope":"admin"}', '("scope")'],
      ['{"active":true,"\\u0061ctive":false}', '("active")'],
    ])('refuses %s rather than pick one', (body, named) => {
      const error = responseError(response(200, body));
      expect(error.reason).toBe('malformed_response');
      expect(error.message).toContain(`a member occurs twice ${named}`);
    });

    it('names no member it does not know, which could echo anything', () => {
      const error = responseError(response(200, `{"active":true,"${MARKER}":1,"${MARKER}":2}`));
      expect(error.message).not.toContain(MARKER);
    });

    it('accepts the same name in nested objects', () => {
      expect(
        parseIntrospectionResponse(response(200, '{"active":true,"x":{"a":1},"y":{"a":1}}')).active,
      ).toBe(true);
    });
  });

  describe('HTTP 400 unsupported_token_type: a verdict on the token', () => {
    it.each([
      '{"error":"unsupported_token_type"}',
      `{"error":"unsupported_token_type","error_description":"${MARKER}"}`,
    ])('%s -> inactive', (body) => {
      expect(parseIntrospectionResponse(response(400, body))).toStrictEqual({
        active: false,
        scopes: [],
        aud: [],
        claims: { active: false },
      });
    });

    it.each([
      [200, IntrospectionResponseError],
      [401, IntrospectionResponseError],
      [403, IntrospectionResponseError],
      [500, IntrospectionUnavailableError],
    ])('is not read as inactive with HTTP %p', (status, type) => {
      thrown(type, () => parseIntrospectionResponse(response(status, '{"error":"unsupported_token_type"}')));
    });
  });

  describe('client authentication refused: client_authentication_failed', () => {
    it.each([
      [401, ''],
      [401, `<html>${MARKER}</html>`],
      [401, '{"error":"invalid_token"}'],
      [401, `{"error":"invalid_client","error_description":"${MARKER}"}`],
      [400, '{"error":"invalid_client"}'],
      [400, '{"error":"unauthorized_client"}'],
      [403, '{"error":"invalid_client"}'],
    ])('HTTP %p with body %p', (status, body) => {
      const error = responseError(response(status, body));
      expect(error.reason).toBe<IntrospectionResponseErrorReason>('client_authentication_failed');
      expect(error.status).toBe(status);
      expect(error.message).toContain(`HTTP ${status}`);
      expect(error.message).toContain('check clientId, the credentials and endpointAuthMethod');
      expect(error.message).not.toContain(MARKER);
    });

    it('names the error code the server sent', () => {
      expect(responseError(response(400, '{"error":"invalid_client"}')).message).toBe(
        'The authorization server rejected this API\'s client authentication (HTTP 400, error "invalid_client"); check clientId, the credentials and endpointAuthMethod.',
      );
    });
  });

  describe('other statuses: unexpected_status', () => {
    it.each([301, 302, 303, 307, 308])('redirect HTTP %p is not followed', (status) => {
      const error = responseError(
        response(status, `<a href="https://elsewhere.example.com">${MARKER}</a>`, {
          location: 'https://elsewhere.example.com/introspect',
        }),
      );
      expect(error.reason).toBe<IntrospectionResponseErrorReason>('unexpected_status');
      expect(error.status).toBe(status);
      expect(error.message).toContain(`redirect (HTTP ${status})`);
      expect(error.message).not.toContain(MARKER);
      expect(error.message).not.toContain('elsewhere');
    });

    it.each([
      [201, '{"active":true}'],
      [204, ''],
      [400, '{"error":"invalid_request"}'],
      [403, ''],
      [403, `{"error_description":"${MARKER}"}`],
      [404, `<html><title>Not Found</title>${MARKER}</html>`],
      [405, ''],
      [418, `{"error":"teapot","error_description":"${MARKER}"}`],
    ])('HTTP %p with body %p', (status, body) => {
      const error = responseError(response(status, body));
      expect(error.reason).toBe<IntrospectionResponseErrorReason>('unexpected_status');
      expect(error.status).toBe(status);
      expect(error.message).toContain(`HTTP ${status}`);
      expect(error.message).not.toContain(MARKER);
    });

    it('names a well-formed error code, and only that', () => {
      expect(
        responseError(response(400, `{"error":"invalid_request","error_description":"${MARKER}"}`)).message,
      ).toBe('The introspection endpoint answered HTTP 400 with error "invalid_request" instead of 200.');
    });

    it.each([
      ['a quote', `{"error":"bad\\"${MARKER}"}`],
      ['a line break', `{"error":"bad\\n${MARKER}"}`],
      ['non-ASCII', `{"error":"bäd ${MARKER}"}`],
      ['more than 64 characters', `{"error":"${MARKER.repeat(4)}"}`],
      ['a non-string', `{"error":["${MARKER}"]}`],
    ])('leaves out an error code with %s', (_kind, body) => {
      const error = responseError(response(404, body));
      expect(error.message).toBe('The introspection endpoint answered HTTP 404 instead of 200.');
    });
  });

  describe('no answer: IntrospectionUnavailableError', () => {
    it.each([429, 500, 502, 503, 504])('HTTP %p', (status) => {
      const error = thrown(IntrospectionUnavailableError, () =>
        parseIntrospectionResponse(response(status, `<html>${MARKER}</html>`)),
      );
      expect(error.name).toBe('IntrospectionUnavailableError');
      expect(error.message).toBe(`The introspection endpoint answered HTTP ${status}.`);
      expect(error.retryAfter).toBeUndefined();
    });

    it.each([['{"active":false}'], ['{"error":"unsupported_token_type"}'], ['{"error":"invalid_client"}']])(
      'is never read as an answer, whatever the body (%s)',
      (body) => {
        thrown(IntrospectionUnavailableError, () => parseIntrospectionResponse(response(503, body)));
      },
    );

    it.each([429, 503])('HTTP %p passes on Retry-After in delay seconds', (status) => {
      const error = thrown(IntrospectionUnavailableError, () =>
        parseIntrospectionResponse(response(status, '', { 'retry-after': '120' })),
      );
      expect(error.retryAfter).toBe(120);
    });

    describe('with an HTTP-date Retry-After', () => {
      beforeEach(() => {
        jest.useFakeTimers({ now: Date.parse('2025-01-01T00:00:00Z') });
      });
      afterEach(() => {
        jest.useRealTimers();
      });

      it('passes on the seconds until that date, from the current clock', () => {
        const error = thrown(IntrospectionUnavailableError, () =>
          parseIntrospectionResponse(response(503, '', { 'retry-after': 'Wed, 01 Jan 2025 00:02:00 GMT' })),
        );
        expect(error.retryAfter).toBe(120);
      });
    });
  });
});

describe('parseRetryAfter', () => {
  const NOW = Date.parse('2025-01-01T00:00:00Z');

  it.each([
    ['0', 0],
    ['1', 1],
    ['120', 120],
    [' 120 ', 120],
    ['3599', 3599],
  ])('reads delay seconds %p as %p', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it.each([
    ['IMF-fixdate', 'Wed, 01 Jan 2025 00:02:00 GMT', 120],
    ['obsolete RFC 850 date', 'Wednesday, 01-Jan-25 00:02:00 GMT', 120],
    ['one second ahead', 'Wed, 01 Jan 2025 00:00:01 GMT', 1],
    ['date now', 'Wed, 01 Jan 2025 00:00:00 GMT', 0],
    ['date in the past', 'Tue, 31 Dec 2024 23:00:00 GMT', 0],
  ])('reads an HTTP-date (%s)', (_kind, value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it.each([
    ['3600', 3600],
    ['3601', 3600],
    ['86400', 3600],
    ['999999999999999999999999', 3600],
    ['9'.repeat(400), 3600],
    ['Fri, 31 Dec 9999 23:59:59 GMT', 3600],
  ])('clamps %p to one hour, a whole number of seconds', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it('rounds a fraction of a second up', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:01 GMT', NOW + 500)).toBe(1);
  });

  it.each([undefined, '', '   ', 'soon', '120 seconds', '1e3'])('returns undefined for %p', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });

  // RFC 9110 §10.2.3: Retry-After = HTTP-date / delay-seconds, and delay-seconds
  // is 1*DIGIT. V8's Date.parse alone would read these non-dates as dates in
  // 2001, giving 0 ("retry now") instead of undefined ("unreadable").
  it.each(['-5', '+5', '1.5', 'abc 1', 'Wed, 01 Jan 2025 00:02:00 CET', '2025-01-01T00:02:00Z'])(
    'returns undefined for the non-date %p',
    (value) => {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    },
  );

  describe('media type (RFC 7662 §2.2: application/json)', () => {
    const body = JSON.stringify({ active: true, token_type: 'Bearer' });

    it.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset=UTF-8'])(
      'takes %p',
      (type) => {
        expect(parseIntrospectionResponse(response(200, body, { 'content-type': type })).active).toBe(true);
      },
    );

    it.each([
      ['text/html', 'its media type is not application/json'],
      ['text/plain; charset=utf-8', 'its media type is not application/json'],
      ['application/token-introspection+jwt', 'its media type is not application/json'],
      ['', 'it has no Content-Type'],
    ])('refuses an active-looking body labelled %p as malformed', (type, message) => {
      const error = responseError(response(200, body, type ? { 'content-type': type } : {}));
      expect(error.reason).toBe('malformed_response');
      expect(error.message).toContain(message);
    });
  });
});

describe('clampRetryAfter', () => {
  it.each([
    [0, 0],
    [1.2, 2],
    [-3, 0],
    [3600, 3600],
    [1e24, 3600],
    [Infinity, 3600],
  ])('sends %p as %p', (seconds, expected) => {
    expect(clampRetryAfter(seconds)).toBe(expected);
  });

  it.each([undefined, NaN])('drops %p', (seconds) => {
    expect(clampRetryAfter(seconds)).toBeUndefined();
  });

  describe('NumericDate plausibility (RFC 7519 §2: seconds)', () => {
    const nowSeconds = Math.floor(Date.now() / 1000);

    it.each(['exp', 'iat', 'nbf'])(
      'refuses %s in milliseconds, which would read as 55,000 years ahead',
      (member) => {
        const error = responseError(ok({ active: true, token_type: 'Bearer', [member]: nowSeconds * 1000 }));
        expect(error.reason).toBe('malformed_response');
        expect(error.message).toContain(`"${member}" is not a plausible NumericDate`);
      },
    );

    it.each([0, nowSeconds, nowSeconds + 0.5, 253_402_300_799])('accepts exp %p', (exp) => {
      expect(parseIntrospectionResponse(ok({ active: true, token_type: 'Bearer', exp })).active).toBe(true);
    });
  });
});
