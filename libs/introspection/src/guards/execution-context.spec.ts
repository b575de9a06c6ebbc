import type { ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { RpcException } from '@nestjs/microservices';
import { resolveIntrospectionOptions } from '../config/resolve-options';
import { systemClock } from '../interfaces/clock.interface';
import type { IntrospectionService } from '../introspection.service';
import { MissingBearerTokenException } from '../errors/bearer-token.exceptions';
import { ActiveTokenGuard } from './active-token.guard';
import { defaultRpcAuthorization, socketAuthorization } from './execution-context';

function rpcContext(data: unknown, context: unknown): ExecutionContext {
  const host = new ExecutionContextHost([data, context]);
  host.setType('rpc');
  return host;
}

describe('socketAuthorization', () => {
  const socket = (headers: Record<string, string>, auth: Record<string, unknown> = {}) => ({
    handshake: { headers, auth },
  });

  it('prefers the handshake Authorization header', () => {
    expect(socketAuthorization(socket({ authorization: 'Bearer h' }, { token: 'p' }), 'token')).toBe(
      'Bearer h',
    );
  });

  it('reads the configured auth payload field only when configured', () => {
    expect(socketAuthorization(socket({}, { token: 'p' }), 'token')).toBe('Bearer p');
    expect(socketAuthorization(socket({}, { token: 'p' }), undefined)).toBeUndefined();
    expect(socketAuthorization(socket({}, {}), 'token')).toBeUndefined();
  });

  it('turns a payload value that is not a string into a malformed header', () => {
    expect(socketAuthorization(socket({}, { token: { nested: true } }), 'token')).toBe('Bearer ?');
  });

  it('reads nothing from a client without a handshake', () => {
    expect(socketAuthorization({}, 'token')).toBeUndefined();
  });
});

describe('defaultRpcAuthorization', () => {
  it('reads gRPC metadata first', () => {
    const metadata = { get: (key: string) => (key === 'authorization' ? ['Bearer m'] : []) };
    expect(defaultRpcAuthorization(rpcContext({ authorization: 'Bearer d' }, metadata))).toBe('Bearer m');
  });

  it('falls back to the payload, then to its headers', () => {
    expect(defaultRpcAuthorization(rpcContext({ authorization: 'Bearer d' }, {}))).toBe('Bearer d');
    expect(defaultRpcAuthorization(rpcContext({ headers: { authorization: 'Bearer h' } }, {}))).toBe(
      'Bearer h',
    );
  });

  it('reads nothing from a payload without a string authorization', () => {
    expect(defaultRpcAuthorization(rpcContext({ authorization: 42 }, undefined))).toBeUndefined();
    expect(defaultRpcAuthorization(rpcContext('text', undefined))).toBeUndefined();
  });
});

/** A guard whose authorization server is never reached: each case here is refused before. */
const guardWith = (rpcAuthorizationExtractor: () => string | undefined) => {
  const options = resolveIntrospectionOptions({
    endpoint: 'https://as.invalid/',
    clientId: 'c',
    clientSecret: 's',
    rpcAuthorizationExtractor,
  });
  const introspection = { introspect: () => Promise.reject(new Error('not reached')) };
  return new ActiveTokenGuard(
    new Reflector(),
    introspection as unknown as IntrospectionService,
    options,
    new HttpAdapterHost(),
    systemClock,
  );
};

describe('ActiveTokenGuard on a microservice handler', () => {
  const rpcCall = () => {
    const host = new ExecutionContextHost([{}, {}], class Handler {}, function handle() {});
    host.setType('rpc');
    return host;
  };

  it('fails closed with an RpcException when the configured extractor throws', async () => {
    const guard = guardWith(() => {
      throw new Error('broken extractor');
    });
    const error: unknown = await Promise.resolve(guard.canActivate(rpcCall())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcException);
    expect((error as RpcException).getError()).toMatchObject({ statusCode: 503 });
  });

  it('answers a message without credentials with an RpcException carrying 401', async () => {
    const error: unknown = await Promise.resolve(guardWith(() => undefined).canActivate(rpcCall())).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RpcException);
    expect((error as RpcException).getError()).toEqual({
      statusCode: 401,
      error_description: 'A bearer token is required.',
    });
  });
});

describe('ActiveTokenGuard on a GraphQL resolver', () => {
  const gqlCall = (context: unknown) => {
    const host = new ExecutionContextHost([{}, {}, context, {}], class Resolver {}, function resolve() {});
    host.setType('graphql');
    return host;
  };

  it.each([
    ['a request without headers', { req: {} }],
    ['a request that is not an object', { req: 'req' }],
    ['no request', {}],
  ])('answers a context with %s as a missing token (401), not 503', async (_, context) => {
    const error: unknown = await Promise.resolve(
      guardWith(() => undefined).canActivate(gqlCall(context)),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingBearerTokenException);
  });
});
