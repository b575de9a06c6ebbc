import type { ExecutionContext, HttpException } from '@nestjs/common';

// The guard serves REST controllers, GraphQL resolvers, WebSocket gateways
// and microservice handlers. @nestjs/graphql, @nestjs/websockets and
// @nestjs/microservices are optional peers: this file only duck-types their
// objects and loads their exception classes when such a context runs, which
// proves the package is installed.

/** A request-like object on which the guard attaches the introspection result. */
export type TokenCarrier = Record<string, unknown>;

/**
 * What `GqlExecutionContext.getContext()` holds with the Apollo driver: `req`
 * always; `res` or `reply` when the application's `context` function adds it.
 */
interface GraphqlContext {
  req?: TokenCarrier & { res?: object };
  request?: TokenCarrier;
  res?: object;
  reply?: object;
}

/** The socket.io handshake members the guard reads. */
interface SocketLike {
  handshake?: {
    headers?: Record<string, string | string[] | undefined>;
    auth?: Record<string, unknown>;
  };
}

/**
 * The object that carries the token's result for this execution context:
 * the HTTP request (REST, and GraphQL over HTTP), the socket (WebSocket) or
 * the transport context of the message (microservices).
 */
export function tokenCarrierOf(context: ExecutionContext): TokenCarrier | undefined {
  switch (context.getType<string>()) {
    case 'graphql': {
      const gql = context.getArgByIndex<GraphqlContext | undefined>(2);
      return gql?.req ?? gql?.request;
    }
    case 'ws':
      return objectOrUndefined(context.switchToWs().getClient<unknown>());
    case 'rpc':
      return (
        objectOrUndefined(context.switchToRpc().getContext<unknown>()) ??
        objectOrUndefined(context.switchToRpc().getData<unknown>())
      );
    default:
      return context.switchToHttp().getRequest<TokenCarrier>();
  }
}

/** The HTTP response on which challenge headers go, when the context has one. */
export function responseOf(context: ExecutionContext): object | undefined {
  switch (context.getType<string>()) {
    case 'graphql': {
      const gql = context.getArgByIndex<GraphqlContext | undefined>(2);
      // Express links the response to its request; Fastify needs `reply` in the GraphQL context.
      return gql?.res ?? gql?.reply ?? gql?.req?.res;
    }
    case 'ws':
    case 'rpc':
      return undefined;
    default:
      return context.switchToHttp().getResponse<object>();
  }
}

/**
 * The `Authorization` value of a WebSocket connection: the handshake header,
 * else `Bearer <auth[payloadField]>` when a payload field is configured.
 */
export function socketAuthorization(
  client: unknown,
  payloadField: string | undefined,
): string | string[] | undefined {
  const handshake = (client as SocketLike | undefined)?.handshake;
  const header = handshake?.headers?.authorization;
  if (header !== undefined || payloadField === undefined) {
    return header;
  }
  const token = handshake?.auth?.[payloadField];
  // A non-string payload value is passed on as a malformed header (400), not ignored.
  return token === undefined ? undefined : `Bearer ${typeof token === 'string' ? token : '?'}`;
}

/**
 * The default `rpcAuthorizationExtractor`: gRPC metadata `authorization`,
 * else the payload's `authorization`, else its `headers.authorization`.
 */
export function defaultRpcAuthorization(context: ExecutionContext): string | undefined {
  const rpc = context.switchToRpc();
  const metadata = rpc.getContext<{ get?: unknown } | undefined>();
  if (typeof metadata?.get === 'function') {
    const values = (metadata as { get(key: string): unknown[] }).get('authorization');
    if (Array.isArray(values) && typeof values[0] === 'string') {
      return values[0];
    }
  }
  const data = rpc.getData<{ authorization?: unknown; headers?: { authorization?: unknown } } | undefined>();
  const value = data?.authorization ?? data?.headers?.authorization;
  return typeof value === 'string' ? value : undefined;
}

/**
 * The exception the transport of `context` understands: a `WsException` on
 * gateways, an `RpcException` on microservice handlers, each carrying the
 * body of the HTTP exception (`statusCode`, RFC 6750 `error`, `error_description`,
 * `scope`); the HTTP exception itself elsewhere.
 */
export function toContextException(context: ExecutionContext, exception: HttpException): Error {
  const body = exception.getResponse();
  const error = typeof body === 'object' ? body : { statusCode: exception.getStatus(), message: body };
  switch (context.getType<string>()) {
    case 'ws': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { WsException } = require('@nestjs/websockets') as typeof import('@nestjs/websockets');
      return new WsException(error);
    }
    case 'rpc': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { RpcException } = require('@nestjs/microservices') as typeof import('@nestjs/microservices');
      return new RpcException(error);
    }
    default:
      return exception;
  }
}

function objectOrUndefined(value: unknown): TokenCarrier | undefined {
  return typeof value === 'object' && value !== null ? (value as TokenCarrier) : undefined;
}
