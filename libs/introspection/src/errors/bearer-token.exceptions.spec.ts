import { HttpException } from '@nestjs/common';
import {
  AuthorizationServerErrorException,
  AuthorizationServerUnavailableException,
  BearerTokenException,
  InsufficientScopeException,
  InvalidBearerRequestException,
  InvalidTokenException,
  MissingBearerTokenException,
} from './bearer-token.exceptions';
import { formatWwwAuthenticate } from './www-authenticate';

describe('Bearer token exceptions (RFC 6750 §3.1)', () => {
  describe('MissingBearerTokenException', () => {
    const exception = new MissingBearerTokenException();

    it('is a 401 without an error code', () => {
      expect(exception).toBeInstanceOf(BearerTokenException);
      expect(exception).toBeInstanceOf(HttpException);
      expect(exception.getStatus()).toBe(401);
      expect(exception.error).toBeUndefined();
      expect(exception.scope).toBeUndefined();
      expect(exception.errorDescription).toBe('A bearer token is required.');
    });

    it('has a body without "error"', () => {
      expect(exception.getResponse()).toStrictEqual({
        statusCode: 401,
        error_description: 'A bearer token is required.',
      });
    });

    it('challenges with no parameters but the realm', () => {
      expect(exception.challenge()).toStrictEqual({});
      expect(formatWwwAuthenticate({ realm: 'orders', ...exception.challenge() })).toBe(
        'Bearer realm="orders"',
      );
      expect(formatWwwAuthenticate(exception.challenge())).toBe('Bearer');
    });
  });

  describe.each([
    [
      'InvalidBearerRequestException',
      () => new InvalidBearerRequestException(),
      400,
      'invalid_request',
      'The Authorization header is malformed.',
    ],
    [
      'InvalidBearerRequestException with a description',
      () => new InvalidBearerRequestException('The bearer token is too long.'),
      400,
      'invalid_request',
      'The bearer token is too long.',
    ],
    [
      'InvalidTokenException',
      () => new InvalidTokenException(),
      401,
      'invalid_token',
      'The access token is not active.',
    ],
    [
      'InvalidTokenException with a description',
      () => new InvalidTokenException('The access token has expired.'),
      401,
      'invalid_token',
      'The access token has expired.',
    ],
  ])('%s', (_name, create, status, error, description) => {
    const exception = create();

    it(`is a ${status} ${error}`, () => {
      expect(exception).toBeInstanceOf(BearerTokenException);
      expect(exception).toBeInstanceOf(HttpException);
      expect(exception.getStatus()).toBe(status);
      expect(exception.error).toBe(error);
      expect(exception.errorDescription).toBe(description);
      expect(exception.scope).toBeUndefined();
    });

    it('has a body with error and error_description, without scope', () => {
      expect(exception.getResponse()).toStrictEqual({
        statusCode: status,
        error,
        error_description: description,
      });
    });

    it('challenges with the error code and description', () => {
      expect(exception.challenge()).toEqual({ error, errorDescription: description });
      expect(formatWwwAuthenticate({ realm: 'orders', ...exception.challenge() })).toBe(
        `Bearer realm="orders", error="${error}", error_description="${description}"`,
      );
    });
  });

  describe('InsufficientScopeException', () => {
    const exception = new InsufficientScopeException(['read:orders', 'write:orders']);

    it('is a 403 insufficient_scope listing the required scopes', () => {
      expect(exception).toBeInstanceOf(BearerTokenException);
      expect(exception.getStatus()).toBe(403);
      expect(exception.error).toBe('insufficient_scope');
      expect(exception.errorDescription).toBe('The access token lacks a required scope.');
      expect(exception.scope).toBe('read:orders write:orders');
    });

    it('has a body with scope', () => {
      expect(exception.getResponse()).toStrictEqual({
        statusCode: 403,
        error: 'insufficient_scope',
        error_description: 'The access token lacks a required scope.',
        scope: 'read:orders write:orders',
      });
    });

    it('challenges with the scope', () => {
      expect(exception.challenge()).toStrictEqual({
        error: 'insufficient_scope',
        errorDescription: 'The access token lacks a required scope.',
        scope: 'read:orders write:orders',
      });
      expect(formatWwwAuthenticate({ realm: 'orders', ...exception.challenge() })).toBe(
        'Bearer realm="orders", error="insufficient_scope", error_description="The access token lacks a required scope.", scope="read:orders write:orders"',
      );
    });

    it('lists a single scope alone', () => {
      expect(new InsufficientScopeException(['admin']).scope).toBe('admin');
    });
  });

  describe('AuthorizationServerUnavailableException', () => {
    it('is a 503 temporarily_unavailable carrying Retry-After seconds', () => {
      const exception = new AuthorizationServerUnavailableException(30);
      expect(exception).toBeInstanceOf(HttpException);
      expect(exception).not.toBeInstanceOf(BearerTokenException);
      expect(exception.getStatus()).toBe(503);
      expect(exception.retryAfter).toBe(30);
      expect(exception.getResponse()).toStrictEqual({
        statusCode: 503,
        error: 'temporarily_unavailable',
        error_description: 'The authorization server is unavailable; try again later.',
      });
    });

    it('has no Retry-After when the server sent none', () => {
      expect(new AuthorizationServerUnavailableException().retryAfter).toBeUndefined();
    });
  });

  describe('AuthorizationServerErrorException', () => {
    it('is a 502 server_error', () => {
      const exception = new AuthorizationServerErrorException();
      expect(exception).toBeInstanceOf(HttpException);
      expect(exception).not.toBeInstanceOf(BearerTokenException);
      expect(exception.getStatus()).toBe(502);
      expect(exception.getResponse()).toStrictEqual({
        statusCode: 502,
        error: 'server_error',
        error_description: 'The authorization server gave an invalid answer.',
      });
    });
  });
});
