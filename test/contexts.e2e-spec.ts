import { Controller, INestApplication, Module } from '@nestjs/common';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule, Query, Resolver } from '@nestjs/graphql';
import { ClientProxy, ClientProxyFactory, MessagePattern, Transport } from '@nestjs/microservices';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { Test } from '@nestjs/testing';
import { firstValueFrom } from 'rxjs';
import { io, Socket } from 'socket.io-client';
import { IntrospectedToken, IntrospectionModule, RequireActiveToken } from '@app/introspection';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';
import { authorizationServerForSuite } from './support/authorization-server';
import { ADAPTERS } from './support/demo-app';
import { apolloOptions, graphqlClient, introspectionAt } from './support/graphql';
import { bearer } from './support/http';
import { closedPort } from '../libs/introspection/test-support/fake-authorization-server';
import { listen } from '../libs/introspection/test-support/listen';

// @RequireActiveToken() outside REST controllers: a GraphQL resolver, a
// socket.io gateway and a TCP microservice handler, all against oidc-provider.

const clients = demoClients();
const REALM = 'contexts';
/** The body every transport carries when the authorization server cannot answer. */
const UNAVAILABLE = {
  statusCode: 503,
  error: 'temporarily_unavailable',
  error_description: 'The authorization server is unavailable; try again later.',
};

@Resolver()
class PaymentsResolver {
  @Query(() => String)
  @RequireActiveToken({ scopes: ['read:payments'] })
  paymentsOwner(@IntrospectedToken('clientId') clientId: string): string {
    return clientId;
  }

  @Query(() => String)
  @RequireActiveToken({ scopes: ['write:payments'] })
  refund(): string {
    return 'refunded';
  }

  @Query(() => String)
  @RequireActiveToken({ server: 'down' })
  unavailable(): string {
    return 'unreachable';
  }
}

@WebSocketGateway()
class PaymentsGateway {
  @SubscribeMessage('whoami')
  @RequireActiveToken({ scopes: ['read:payments'] })
  whoami(@IntrospectedToken('clientId') clientId: string): { clientId: string } {
    return { clientId };
  }

  @SubscribeMessage('refund')
  @RequireActiveToken({ scopes: ['write:payments'] })
  refund(): { refunded: boolean } {
    return { refunded: true };
  }

  @SubscribeMessage('unavailable')
  @RequireActiveToken({ server: 'down' })
  unavailable(): string {
    return 'unreachable';
  }
}

@Controller()
class PaymentsHandler {
  @MessagePattern('whoami')
  @RequireActiveToken({ scopes: ['read:payments'] })
  whoami(@IntrospectedToken('clientId') clientId: string): { clientId: string } {
    return { clientId };
  }

  @MessagePattern('refund')
  @RequireActiveToken({ scopes: ['write:payments'] })
  refund(): { refunded: boolean } {
    return { refunded: true };
  }

  @MessagePattern('unavailable')
  @RequireActiveToken({ server: 'down' })
  unavailable(): string {
    return 'unreachable';
  }
}

const suite = authorizationServerForSuite();

describe.each(ADAPTERS)('@RequireActiveToken() in other execution contexts, on %s', (adapter) => {
  let app: INestApplication;
  let url: string;
  let rpc: ClientProxy;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    @Module({
      imports: [
        introspectionAt(suite.as, REALM, { wsAuthPayloadField: 'token' }),
        // An authorization server that cannot be reached: every transport fails closed.
        IntrospectionModule.forRoot({
          name: 'down',
          endpoint: `http://127.0.0.1:${await closedPort()}/introspect`,
          clientId: 'api',
          clientSecret: 'secret',
        }),
        GraphQLModule.forRoot<ApolloDriverConfig>(apolloOptions(adapter)),
      ],
      controllers: [PaymentsHandler],
      providers: [PaymentsResolver, PaymentsGateway],
    })
    class ContextsModule {}

    const moduleRef = await Test.createTestingModule({ imports: [ContextsModule] }).compile();
    const port = await closedPort();
    ({ app, url } = await listen(moduleRef, adapter, async (created) => {
      created.useWebSocketAdapter(new IoAdapter(created));
      created.connectMicroservice({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
      await created.startAllMicroservices();
    }));
    rpc = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
  });

  afterAll(async () => {
    sockets.forEach((socket) => socket.disconnect());
    await rpc?.close();
    await app?.close();
  });

  describe('GraphQL resolver', () => {
    const query = (query: string, headers: Record<string, string> = {}) =>
      graphqlClient(`${url}/graphql`)(query, headers);

    it('resolves with an active token, from the HTTP request behind the GraphQL context', async () => {
      const answer = await query('{ paymentsOwner }', bearer(suite.readToken));
      expect(answer.status).toBe(200);
      expect(answer.json()).toEqual({ data: { paymentsOwner: clients.tokenClient.clientId } });
    });

    it('refuses a missing token with the Bearer challenge on the HTTP response', async () => {
      const answer = await query('{ paymentsOwner }');
      expect(answer.headers['www-authenticate']).toBe(`Bearer realm="${REALM}"`);
      expect(answer.json<{ data: unknown; errors: unknown[] }>().data).toBeNull();
      expect(answer.json<{ errors: Array<{ extensions: unknown }> }>().errors[0].extensions).toEqual({
        code: 'UNAUTHENTICATED',
        originalError: { statusCode: 401, error_description: 'A bearer token is required.' },
      });
    });

    it('refuses a missing scope with insufficient_scope', async () => {
      const answer = await query('{ refund }', bearer(suite.readToken));
      expect(answer.headers['www-authenticate']).toBe(
        `Bearer realm="${REALM}", error="insufficient_scope", error_description="The access token lacks a required scope.", scope="write:payments"`,
      );
      expect(answer.json<{ data: unknown }>().data).toBeNull();
      expect(answer.json<{ errors: Array<{ extensions: unknown }> }>().errors[0].extensions).toEqual({
        code: 'FORBIDDEN',
        originalError: {
          statusCode: 403,
          error: 'insufficient_scope',
          error_description: 'The access token lacks a required scope.',
          scope: 'write:payments',
        },
      });
    });

    it('fails closed when the authorization server cannot answer', async () => {
      const answer = await query('{ unavailable }', bearer(suite.readToken));
      expect(answer.json<{ data: unknown }>().data).toBeNull();
      expect(
        answer.json<{ errors: Array<{ extensions: { originalError: unknown } }> }>().errors[0].extensions
          .originalError,
      ).toEqual(UNAVAILABLE);
    });

    it('refuses a revoked token with invalid_token', async () => {
      const token = await suite.as.mintToken('read:payments', clients.audience);
      await suite.as.revoke(token);
      const answer = await query('{ paymentsOwner }', bearer(token));
      expect(answer.headers['www-authenticate']).toBe(
        `Bearer realm="${REALM}", error="invalid_token", error_description="The access token is not active."`,
      );
    });
  });

  describe('WebSocket gateway', () => {
    const connect = async (options: { headers?: Record<string, string>; auth?: Record<string, string> }) => {
      const socket = io(url, {
        transports: ['websocket'],
        extraHeaders: options.headers,
        auth: options.auth,
      });
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      return socket;
    };
    /** The acknowledgement of `event`, or the `exception` event the gateway raised instead. */
    const emit = (socket: Socket, event: string) =>
      new Promise<{ ack?: unknown; exception?: unknown }>((resolve) => {
        socket.once('exception', (exception: unknown) => resolve({ exception }));
        socket.emit(event, {}, (ack: unknown) => resolve({ ack }));
      });

    it('reads the token from the handshake Authorization header', async () => {
      const socket = await connect({ headers: bearer(suite.readToken) });
      expect(await emit(socket, 'whoami')).toEqual({ ack: { clientId: clients.tokenClient.clientId } });
    });

    it('reads the token from the configured auth payload field', async () => {
      const socket = await connect({ auth: { token: suite.readToken } });
      expect(await emit(socket, 'whoami')).toEqual({ ack: { clientId: clients.tokenClient.clientId } });
    });

    it('raises a WsException with the RFC 6750 code', async () => {
      const socket = await connect({ auth: { token: suite.readToken } });
      expect(await emit(socket, 'refund')).toEqual({
        exception: {
          statusCode: 403,
          error: 'insufficient_scope',
          error_description: 'The access token lacks a required scope.',
          scope: 'write:payments',
        },
      });
      const anonymous = await connect({});
      expect(await emit(anonymous, 'whoami')).toEqual({
        exception: { statusCode: 401, error_description: 'A bearer token is required.' },
      });
      const inactive = await connect({ auth: { token: 'not-a-real-token' } });
      expect(await emit(inactive, 'whoami')).toEqual({
        exception: {
          statusCode: 401,
          error: 'invalid_token',
          error_description: 'The access token is not active.',
        },
      });
    });
  });

  it('fails closed on a gateway when the authorization server cannot answer', async () => {
    const socket = io(url, { transports: ['websocket'], auth: { token: suite.readToken } });
    sockets.push(socket);
    const exception = await new Promise<unknown>((resolve) => {
      socket.once('exception', resolve);
      socket.emit('unavailable', {});
    });
    expect(exception).toEqual(UNAVAILABLE);
  });

  describe('microservice handler', () => {
    const call = (pattern: string, data: unknown) =>
      firstValueFrom(rpc.send<unknown>(pattern, data)).then(
        (answer) => ({ answer }),
        (error: unknown) => ({ error }),
      );

    it('reads the token from the message payload by default', async () => {
      expect(await call('whoami', { authorization: `Bearer ${suite.readToken}` })).toEqual({
        answer: { clientId: clients.tokenClient.clientId },
      });
    });

    it('fails closed when the authorization server cannot answer', async () => {
      expect(await call('unavailable', { authorization: `Bearer ${suite.readToken}` })).toEqual({
        error: UNAVAILABLE,
      });
    });

    it('raises an RpcException with the RFC 6750 code', async () => {
      expect(await call('refund', { authorization: `Bearer ${suite.readToken}` })).toEqual({
        error: {
          statusCode: 403,
          error: 'insufficient_scope',
          error_description: 'The access token lacks a required scope.',
          scope: 'write:payments',
        },
      });
      expect(await call('whoami', {})).toEqual({
        error: { statusCode: 401, error_description: 'A bearer token is required.' },
      });
      expect(await call('whoami', { authorization: 'Bearer not-a-real-token' })).toEqual({
        error: {
          statusCode: 401,
          error: 'invalid_token',
          error_description: 'The access token is not active.',
        },
      });
    });
  });
});
