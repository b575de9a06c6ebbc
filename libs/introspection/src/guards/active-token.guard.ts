import { CanActivate, ExecutionContext, HttpException, Inject, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef, ModulesContainer, Reflector } from '@nestjs/core';
import { TokenRequirementsMetadata } from '../decorators/token-requirements.metadata';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import {
  AuthorizationServerErrorException,
  AuthorizationServerUnavailableException,
  BearerTokenException,
  InvalidTokenException,
} from '../errors/bearer-token.exceptions';
import {
  IntrospectionCircuitOpenError,
  IntrospectionConfigurationError,
  IntrospectionResponseError,
  IntrospectionUnavailableError,
} from '../errors/introspection.errors';
import { formatWwwAuthenticate } from '../errors/www-authenticate';
import {
  DEFAULT_INTROSPECTION_SERVER,
  INTROSPECTION_CLOCK,
  INTROSPECTION_REQUEST_PROPERTY,
  ROUTE_BY_ISSUER,
} from '../introspection.constants';
import type { Clock } from '../interfaces/clock.interface';
import { IntrospectionService } from '../introspection.service';
import { getIntrospectionOptionsToken, getIntrospectionServiceToken } from '../introspection.tokens';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import type { TokenRequirements } from '../interfaces/token-requirements.interface';
import { clampRetryAfter } from '../result/introspection-response.parser';
import { checkTokenRequirements, ResolvedTokenRequirements } from './check-token-requirements';
import {
  defaultRpcAuthorization,
  responseOf,
  socketAuthorization,
  toContextException,
  tokenCarrierOf,
} from './execution-context';
import { countAuthorizationHeaders, extractBearerToken } from './extract-bearer-token';
import { IntrospectionRegistration, registrationsByIssuer, unverifiedJwtIssuer } from './issuer-routing';

/** The request shape the guard reads, on Express and Fastify alike. */
export interface GuardedRequest {
  headers: Record<string, string | string[] | undefined>;
  /** Express keeps Node's raw headers on the request itself… */
  rawHeaders?: string[];
  /** …Fastify on the wrapped Node request. */
  raw?: { rawHeaders?: string[] };
  [INTROSPECTION_REQUEST_PROPERTY]?: IntrospectionResult;
}

/** What the guard applies to one route: the requirements and the registration that introspects. */
interface RouteSettings {
  readonly requirements: ResolvedTokenRequirements;
  readonly introspection: IntrospectionService;
  readonly options: ResolvedIntrospectionOptions;
  /** Set on routes with issuer routing: the settings above are the default registration's. */
  readonly merged?: TokenRequirements;
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
  /** Settings per route handler, then per controller (a handler may be inherited). */
  private readonly routes = new WeakMap<object, WeakMap<object, RouteSettings>>();
  // A property, not a constructor parameter, so subclasses' constructors stay as they are.
  @Inject(ModuleRef) private readonly moduleRef?: ModuleRef;
  @Inject(ModulesContainer) private readonly modules?: ModulesContainer;
  private issuers?: Map<string, IntrospectionRegistration>;

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
      let route = this.getRoute(context);
      if (route.merged) {
        route = this.routeByIssuer(route.merged, this.extractToken(request, route.options));
      }
      options = route.options;
      const result = await this.introspectOnce(request, route);
      checkTokenRequirements(result, route.requirements, this.clock.now());
      await this.onSuccess(request, result, context);
      return true;
    } catch (error) {
      return this.throwException(context, this.toHttpException(error), options);
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
    const headers: Record<string, string> = {};
    if (exception instanceof BearerTokenException) {
      headers['WWW-Authenticate'] = formatWwwAuthenticate({
        realm: options.realm,
        ...exception.challenge(),
      });
    } else if (exception instanceof AuthorizationServerUnavailableException) {
      // Whatever set it (a custom strategy's error included): whole seconds, bounded.
      const retryAfter = clampRetryAfter(exception.retryAfter);
      if (retryAfter !== undefined) {
        headers['Retry-After'] = String(retryAfter);
      }
    }
    const response = responseOf(context);
    const adapter = this.adapterHost.httpAdapter;
    for (const [name, value] of Object.entries(headers)) {
      if (response && adapter) {
        adapter.setHeader(response, name, value);
      }
    }
    throw toContextException(context, exception);
  }

  private getRoute(context: ExecutionContext): RouteSettings {
    // Metadata is fixed once the app is built: resolve it once per route.
    const handler = context.getHandler();
    const controller = context.getClass();
    let byController = this.routes.get(handler);
    if (!byController) {
      byController = new WeakMap();
      this.routes.set(handler, byController);
    }
    let route = byController.get(controller);
    if (!route) {
      route = this.resolveRoute(handler, controller);
      byController.set(controller, route);
    }
    return route;
  }

  private resolveRoute(handler: object, controller: object): RouteSettings {
    // Method settings override controller settings option by option.
    const [onMethod, onClass] = [handler, controller].map(
      (target): TokenRequirements =>
        this.reflector.get(TokenRequirementsMetadata, target as () => void) ?? {},
    );
    const merged: TokenRequirements = { ...onClass, ...definedOnly(onMethod) };
    const registration =
      merged.server === undefined ||
      merged.server === DEFAULT_INTROSPECTION_SERVER ||
      merged.server === ROUTE_BY_ISSUER
        ? { introspection: this.introspection, options: this.options }
        : this.registration(merged.server);
    return {
      ...this.settings(merged, registration),
      ...(merged.server === ROUTE_BY_ISSUER ? { merged } : {}),
    };
  }

  /** Issuer routing: the registration whose `issuer` is the JWT's `iss`; the default one for other tokens. */
  private routeByIssuer(merged: TokenRequirements, token: string): RouteSettings {
    const iss = unverifiedJwtIssuer(token);
    if (iss === undefined) {
      return this.settings(merged, { introspection: this.introspection, options: this.options });
    }
    this.issuers ??= registrationsByIssuer(this.modules as ModulesContainer);
    const registration = this.issuers.get(iss);
    if (!registration) {
      // No server we trust issued it: asking one would be pointless (RFC 6750 §3.1).
      throw new InvalidTokenException('The access token was not issued by a trusted authorization server.');
    }
    return this.settings(merged, registration);
  }

  private settings(
    merged: TokenRequirements,
    { introspection, options }: IntrospectionRegistration,
  ): RouteSettings {
    return {
      introspection,
      options,
      requirements: {
        scopes: merged.scopes ?? [],
        audience: merged.audience === undefined ? options.audience : [merged.audience].flat(),
        clockToleranceMs: options.clockToleranceMs,
        allowMissingTokenType: options.allowMissingTokenType,
      },
    };
  }

  /** The service and options of the named registration `name`, wherever it was imported. */
  private registration(name: string): IntrospectionRegistration {
    try {
      const find = <T>(token: string | symbol | object) =>
        (this.moduleRef as ModuleRef).get<T>(token as string, { strict: false });
      return {
        introspection: find<IntrospectionService>(getIntrospectionServiceToken(name)),
        options: find<ResolvedIntrospectionOptions>(getIntrospectionOptionsToken(name)),
      };
    } catch {
      throw new IntrospectionConfigurationError(
        'server',
        `no IntrospectionModule registration is named "${name}"; add IntrospectionModule.forRoot({ name: '${name}', ... }).`,
      );
    }
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

  private toHttpException(error: unknown): HttpException {
    if (error instanceof HttpException) {
      return error;
    }
    if (error instanceof IntrospectionCircuitOpenError) {
      // Logged once when the breaker opens, not once per refused request.
      return new AuthorizationServerUnavailableException(error.retryAfter);
    }
    if (error instanceof IntrospectionUnavailableError) {
      this.logger.warn(`Token introspection unavailable, answering 503: ${error.message}`);
      return new AuthorizationServerUnavailableException(error.retryAfter);
    }
    if (error instanceof IntrospectionConfigurationError) {
      // A route names a registration that does not exist: fail closed, say why.
      this.logger.error(`Token introspection misconfigured, answering 503: ${error.message}`);
      return new AuthorizationServerUnavailableException();
    }
    if (error instanceof IntrospectionResponseError) {
      this.logger.error(`Token introspection failed, answering 502: ${error.message}`);
      return new AuthorizationServerErrorException();
    }
    // Anything unexpected (a custom strategy throwing, a bug) still fails
    // closed; the name only, since a message could echo request data.
    this.logger.error(
      `Unexpected error during token introspection, answering 503: ${error instanceof Error ? error.name : typeof error}`,
    );
    return new AuthorizationServerUnavailableException();
  }
}

function definedOnly(requirements: TokenRequirements): TokenRequirements {
  return Object.fromEntries(Object.entries(requirements).filter(([, value]) => value !== undefined));
}
