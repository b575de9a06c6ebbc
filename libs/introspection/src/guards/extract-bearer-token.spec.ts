import { thrown } from '../../test-support/thrown';
import {
  BearerTokenException,
  InvalidBearerRequestException,
  MissingBearerTokenException,
} from '../errors/bearer-token.exceptions';
import {
  countAuthorizationHeaders,
  extractBearerToken,
  type AuthorizationHeaders,
} from './extract-bearer-token';

const MAX_LENGTH = 4096;

function headers(authorization: AuthorizationHeaders['authorization'], count?: number): AuthorizationHeaders {
  return { authorization, count: count ?? (authorization === undefined ? 0 : 1) };
}

function invalidRequest(value: AuthorizationHeaders, maxLength = MAX_LENGTH): InvalidBearerRequestException {
  const error = thrown(InvalidBearerRequestException, () => extractBearerToken(value, maxLength));
  expect(error.getStatus()).toBe(400);
  expect(error.error).toBe('invalid_request');
  return error;
}

describe('extractBearerToken', () => {
  describe('reads the token', () => {
    it.each([
      ['Bearer abc', 'abc'],
      ['bearer abc', 'abc'],
      ['BEARER abc', 'abc'],
      ['BeArEr abc', 'abc'],
      ['Bearer   abc', 'abc'],
      ['Bearer mF_9.B5f-4.1JqM', 'mF_9.B5f-4.1JqM'],
      ['Bearer aB9-._~+/', 'aB9-._~+/'],
      ['Bearer aB9-._~+/==', 'aB9-._~+/=='],
      ['Bearer dGVzdA=', 'dGVzdA='],
      [
        'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
        'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
      ],
    ])('%p -> %p', (authorization, token) => {
      expect(extractBearerToken(headers(authorization), MAX_LENGTH)).toBe(token);
    });

    it('reads a header Node gave as a one-element array', () => {
      expect(extractBearerToken(headers(['Bearer abc']), MAX_LENGTH)).toBe('abc');
    });

    it('accepts a token exactly maxLength long', () => {
      const token = 'a'.repeat(16);
      expect(extractBearerToken(headers(`Bearer ${token}`), 16)).toBe(token);
    });
  });

  describe('no bearer credentials: 401 without an error code', () => {
    it.each([
      ['no header', headers(undefined)],
      ['an empty header', headers('')],
      ['an empty header array', headers([], 0)],
      ['Basic credentials', headers('Basic dXNlcjpwYXNz')],
      ['a scheme that merely starts with Bearer', headers('Bearerx abc')],
      ['a scheme glued to the token', headers('Bearer,abc')],
      ['another scheme', headers('Token abc')],
      ['DPoP', headers('DPoP abc')],
      ['a bare token', headers('abc')],
    ])('%s', (_kind, value) => {
      const error = thrown(MissingBearerTokenException, () => extractBearerToken(value, MAX_LENGTH));
      expect(error).toBeInstanceOf(BearerTokenException);
      expect(error.getStatus()).toBe(401);
      expect(error.error).toBeUndefined();
      expect(error.challenge()).toStrictEqual({});
    });
  });

  describe('malformed request: 400 invalid_request', () => {
    it.each([
      ['"Bearer" alone', 'Bearer'],
      ['"Bearer" and a space', 'Bearer '],
      ['"Bearer" and spaces', 'Bearer    '],
      ['a tab separator', 'Bearer\tabc'],
      ['a non-breaking space separator', 'Bearer\u00a0abc'],
    ])('no token: %s', (_kind, authorization) => {
      expect(invalidRequest(headers(authorization)).errorDescription).toBe(
        'The Authorization header carries no bearer token.',
      );
    });

    it.each([
      ['two tokens', 'Bearer abc def'],
      ['a trailing space', 'Bearer abc '],
      ['a tab inside', 'Bearer abc\tdef'],
      ['a double quote', 'Bearer "abc"'],
      ['a comma', 'Bearer abc,def'],
      ['a second scheme', 'Bearer abc, Basic dXNlcjpwYXNz'],
      ['a semicolon', 'Bearer abc;def'],
      ['a backslash', 'Bearer abc\\def'],
      ['non-ASCII', 'Bearer tökén'],
      ['a line break', 'Bearer abc\r\nX-Injected: 1'],
      ['"=" in the middle', 'Bearer ab=cd'],
      ['"=" at the start', 'Bearer =abc'],
      ['only "="', 'Bearer ===='],
      ['a colon', 'Bearer user:pass'],
      ['a percent sign', 'Bearer abc%20'],
    ])('illegal characters: %s', (_kind, authorization) => {
      const error = invalidRequest(headers(authorization));
      expect(error.errorDescription).toBe('The bearer token contains characters RFC 6750 does not allow.');
      expect(error.errorDescription).not.toContain(authorization.slice('Bearer '.length));
    });

    it('a token longer than maxLength, without repeating it', () => {
      const token = 'T'.repeat(17);
      const error = invalidRequest(headers(`Bearer ${token}`), 16);
      expect(error.errorDescription).toBe('The bearer token is too long.');
      expect(JSON.stringify(error.getResponse())).not.toContain(token);
    });

    it('spaces after the scheme do not count towards maxLength', () => {
      expect(extractBearerToken(headers(`Bearer      ${'a'.repeat(16)}`), 16)).toBe('a'.repeat(16));
    });

    it.each([
      ['two counted headers, the first valid', headers('Bearer abc', 2)],
      ['three counted headers', headers('Bearer abc', 3)],
      ['two counted headers, the first not Bearer', headers('Basic dXNlcjpwYXNz', 2)],
      ['two headers in an array', headers(['Bearer abc', 'Bearer def'], 1)],
      ['two headers in an array, counted', headers(['Bearer abc', 'Bearer abc'], 2)],
    ])('more than one Authorization header: %s', (_kind, value) => {
      expect(invalidRequest(value).errorDescription).toBe(
        'The request carries more than one Authorization header.',
      );
    });

    it('has a challenge with the error code and description', () => {
      expect(invalidRequest(headers('Bearer')).challenge()).toEqual({
        error: 'invalid_request',
        errorDescription: 'The Authorization header carries no bearer token.',
      });
    });
  });
});

describe('countAuthorizationHeaders', () => {
  it.each([
    ['undefined', undefined, 0],
    ['no headers', [], 0],
    ['no Authorization header', ['Host', 'api.example.com', 'Accept', '*/*'], 0],
    ['one', ['Host', 'api.example.com', 'Authorization', 'Bearer abc'], 1],
    ['one in lower case', ['authorization', 'Bearer abc'], 1],
    ['one in upper case', ['AUTHORIZATION', 'Bearer abc'], 1],
    [
      'two, differently cased',
      ['Authorization', 'Bearer abc', 'Host', 'x', 'authorization', 'Bearer def'],
      2,
    ],
    ['three', ['Authorization', 'a', 'Authorization', 'b', 'Authorization', 'c'], 3],
    ['"authorization" as a value only', ['X-Note', 'authorization', 'X-Other', 'Authorization'], 0],
    ['a look-alike name', ['Proxy-Authorization', 'Basic abc', 'Authorization-Extra', 'x'], 0],
  ])('%s -> %p', (_kind, rawHeaders, expected) => {
    expect(countAuthorizationHeaders(rawHeaders)).toBe(expected);
  });
});
