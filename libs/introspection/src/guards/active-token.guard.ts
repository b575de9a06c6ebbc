import {
  CanActivate,
  ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  Logger,
  Optional,
} from '@nestjs/common';
import { HttpAdapterHost, ModuleRef, ModulesContainer, Reflector } from '@nestjs/core';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import { INTROSPECTION_CLOCK, INTROSPECTION_REQUEST_PROPERTY } from '../introspection.constants';
import type { Clock } from '../interfaces/clock.interface';
import { IntrospectionService } from '../introspection.service';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import { checkTokenRequirements } from './check-token-requirements';
import {
  defaultRpcAuthorization,
  responseOf,
  socketAuthorization,
  toContextException,
  tokenCarrierOf,
} from './execution-context';
import { countAuthorizationHeaders, extractBearerToken } from './extract-bearer-token';
import { failureHeaders, toGuardException } from './guard-failure';
import { RouteResolver, RouteSettings } from './route-resolver';
import { IntrospectionTelemetry } from '../telemetry/introspection-telemetry';

/** The request shape the guard reads, on Express and Fastify alike. */
export interface GuardedRequest {
  headers: Record<string, string | string[] | undefined>;
  /** Express keeps Node's raw headers on the request itself… */
  rawHeaders?: string[];
  /** …Fastify on the wrapped Node request. */
  raw?: { rawHeaders?: string[] };
  [INTROSPECTION_REQUEST_PROPERTY]?: IntrospectionResult;
}

/**
 * The guard behind `@RequireActiveToken()`: reads the bearer token,
 * introspects it and applies the route's requirements, answering with the
 * RFC 6750 status and `WWW-Authenticate` challenge when they are not met.
 * Fails closed: when the authorization server cannot answer, 503 or 502.
 *
 * Works on REST controllers, GraphQL resolvers (the HTTP request behind the
 * GraphQL context), WebSocket gateways (the handshake; failures raise a
 * `WsException`) and microservice handlers (`rpcAuthorizationExtractor`;
 * failures raise an `RpcException`).
 *
 * Subclass it and override the `protected` hooks to change where the token
 * comes from or what happens on success.
 */
@Injectable()
export class ActiveTokenGuard implements CanActivate {
  protected readonly logger = new Logger('Introspection');
  // One introspection per request even when the guard runs twice (decorator
  // on both the controller and the method).
  private readonly results = new WeakMap<object, Map<IntrospectionService, Promise<IntrospectionResult>>>();
  // A property, not a constructor parameter, so subclasses' constructors stay as they are.
  @Inject(ModuleRef) private readonly moduleRef?: ModuleRef;
  @Inject(ModulesContainer) private readonly modules?: ModulesContainer;
  @Optional() @Inject(IntrospectionTelemetry) private readonly telemetry?: IntrospectionTelemetry;
  private resolver?: RouteResolver;

  constructor(
    protected readonly reflector: Reflector,
    protected readonly introspection: IntrospectionService,
    @InjectIntrospectionOptions() protected readonly options: ResolvedIntrospectionOptions,
    protected readonly adapterHost: HttpAdapterHost,
    @Inject(INTROSPECTION_CLOCK) protected readonly clock: Clock,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    let options = this.options;
    try {
      // Inside the try: a custom rpcAuthorizationExtractor that throws still fails closed.
      const request = this.getRequest(context);
      let route = this.routeResolver().route(context.getHandler(), context.getClass());
      if (route.merged) {
        route = this.routeResolver().forToken(route.merged, this.extractToken(request, route.options));
      }
      options = route.options;
      const result = await this.introspectOnce(request, route);
      checkTokenRequirements(result, route.requirements, this.clock.now());
      await this.onSuccess(request, result, context);
      this.telemetry?.decided(options, undefined, result);
      return true;
    } catch (error) {
      const exception = toGuardException(error, this.logger);
      this.telemetry?.decided(options, exception);
      return this.throwException(context, exception, options);
    }
  }

  /**
   * The request the token is read from: the HTTP request (also behind a
   * GraphQL context), or, for WebSocket and microservice contexts, a request
   * built from the handshake or the message.
   */
  protected getRequest(context: ExecutionContext): GuardedRequest {
    switch (context.getType<string>()) {
      case 'ws': {
        const client = context.switchToWs().getClient<unknown>();
        return { headers: { authorization: socketAuthorization(client, this.options.wsAuthPayloadField) } };
      }
      case 'rpc': {
        const extract = this.options.rpcAuthorizationExtractor ?? defaultRpcAuthorization;
        return { headers: { authorization: extract(context) } };
      }
      default: {
        const carrier = tokenCarrierOf(context);
        // A GraphQL context may hold a `req` without headers (a custom context
        // function, a subscription): that request carries no token, a 401.
        return (typeof carrier?.headers === 'object' && carrier.headers !== null
          ? carrier
          : { headers: {} }) as unknown as GuardedRequest;
      }
    }
  }

  /**
   * The bearer token of the request.
   * @param options the options of the registration the route uses
   * @throws BearerTokenException when there is none or it is malformed
   */
  protected extractToken(
    request: GuardedRequest,
    options: ResolvedIntrospectionOptions = this.options,
  ): string {
    const rawHeaders = request.rawHeaders ?? request.raw?.rawHeaders;
    return extractBearerToken(
      { authorization: request.headers.authorization, count: countAuthorizationHeaders(rawHeaders) },
      options.maxTokenLength,
    );
  }

  /**
   * Called once the token is accepted; attaches the result to the request
   * (to the socket on gateways, to the message context on microservices),
   * where `@IntrospectedToken()` finds it.
   */
  protected onSuccess(
    request: GuardedRequest,
    result: IntrospectionResult,
    context: ExecutionContext,
  ): void | Promise<void> {
    request[INTROSPECTION_REQUEST_PROPERTY] = result;
    const carrier = tokenCarrierOf(context);
    if (carrier && carrier !== (request as unknown)) {
      carrier[INTROSPECTION_REQUEST_PROPERTY] = result;
    }
  }

  /**
   * Sets the challenge headers on the response and throws `exception`.
   * Headers go through the HTTP adapter, so Express and Fastify both work.
   * On gateways and microservices, throws the `WsException` or
   * `RpcException` carrying the same body instead.
   * @param options the options of the registration the route uses (its `realm`)
   */
  protected throwException(
    context: ExecutionContext,
    exception: HttpException,
    options: ResolvedIntrospectionOptions = this.options,
  ): never {
    const headers = failureHeaders(exception, options);
    const response = responseOf(context);
    const adapter = this.adapterHost.httpAdapter;
    for (const [name, value] of Object.entries(headers)) {
      if (response && adapter) {
        adapter.setHeader(response, name, value);
      }
    }
    throw toContextException(context, exception);
  }

  private routeResolver(): RouteResolver {
    return (this.resolver ??= new RouteResolver({
      reflector: this.reflector,
      fallback: { introspection: this.introspection, options: this.options },
      moduleRef: this.moduleRef,
      modules: this.modules,
    }));
  }

  private introspectOnce(request: GuardedRequest, route: RouteSettings): Promise<IntrospectionResult> {
    let byServer = this.results.get(request);
    if (!byServer) {
      byServer = new Map();
      this.results.set(request, byServer);
    }
    let result = byServer.get(route.introspection);
    if (!result) {
      result = Promise.resolve().then(() =>
        route.introspection.introspect(this.extractToken(request, route.options)),
      );
      byServer.set(route.introspection, result);
    }
    return result;
  }
}
