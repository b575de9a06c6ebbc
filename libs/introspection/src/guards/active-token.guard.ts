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
import type { DpopChallengeContext } from '../binding/dpop-challenge';
import type { PeerCertificateSocket } from '../binding/client-certificate';
import { type BindingRequest, TokenBindingVerifier } from '../binding/token-binding.verifier';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import {
  INTROSPECTION_CLOCK,
  INTROSPECTION_REQUEST_PROPERTY,
  INTROSPECTION_RESOLVED_OPTIONS,
} from '../introspection.constants';
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
import { countAuthorizationHeaders, extractAccessToken } from './extract-bearer-token';
import { failureHeaders, toGuardException } from './guard-failure';
import { RouteResolver, RouteSettings } from './route-resolver';
import { IntrospectionTelemetry } from '../telemetry/introspection-telemetry';

/**
 * The introspections of one request, by introspector: one per request even
 * when the guard runs twice (decorator on both the controller and the
 * method). Kept on the request itself, a short list rather than a map: it
 * is read on every request and almost always holds one entry.
 */
const INTROSPECTIONS = Symbol('introspections of this request');

interface RequestIntrospection {
  readonly introspection: IntrospectionService;
  /** The answer, when it came from memory without a promise… */
  readonly value?: IntrospectionResult;
  /** …or the lookup under way. */
  readonly result?: Promise<IntrospectionResult>;
  readonly next?: RequestIntrospection;
}

/** The request shape the guard reads, on Express and Fastify alike. */
export interface GuardedRequest {
  headers: Record<string, string | string[] | undefined>;
  /** Express keeps Node's raw headers on the request itself… */
  rawHeaders?: string[];
  /** …Fastify on the wrapped Node request. */
  raw?: { rawHeaders?: string[]; url?: string; socket?: PeerCertificateSocket };
  /** The method and target the DPoP proof covers (RFC 9449 §4.3). */
  method?: string;
  /** Express: the target as received, before routers rewrote `url`. */
  originalUrl?: string;
  url?: string;
  /** The connection, for its TLS client certificate (RFC 8705) and peer address. */
  socket?: PeerCertificateSocket;
  [INTROSPECTION_REQUEST_PROPERTY]?: IntrospectionResult;
}

/** A request as the guard keeps its introspections on it (not part of the public shape). */
type IntrospectedRequest = GuardedRequest & { [INTROSPECTIONS]?: RequestIntrospection };

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
  // A property, not a constructor parameter, so subclasses' constructors stay as they are.
  @Inject(ModuleRef) private readonly moduleRef?: ModuleRef;
  @Inject(ModulesContainer) private readonly modules?: ModulesContainer;
  @Optional() @Inject(TokenBindingVerifier) private readonly binding?: TokenBindingVerifier;
  @Optional() @Inject(IntrospectionTelemetry) private readonly telemetry?: IntrospectionTelemetry;
  private resolver?: RouteResolver;
  // Binding verifiers of the registrations other than this guard's, by their options.
  private readonly verifiers = new WeakMap<ResolvedIntrospectionOptions, TokenBindingVerifier>();
  // One binding check per request too: a proof's jti may be used only once.
  private readonly bindings = new WeakMap<object, Promise<void>>();

  constructor(
    protected readonly reflector: Reflector,
    protected readonly introspection: IntrospectionService,
    @InjectIntrospectionOptions() protected readonly options: ResolvedIntrospectionOptions,
    protected readonly adapterHost: HttpAdapterHost,
    @Inject(INTROSPECTION_CLOCK) protected readonly clock: Clock,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    let options = this.options;
    let request: GuardedRequest | undefined;
    let route: RouteSettings | undefined;
    try {
      // Inside the try: a custom rpcAuthorizationExtractor that throws still fails closed.
      request = this.getRequest(context);
      route = this.routeResolver().route(context.getHandler(), context.getClass());
      if (route.merged) {
        route = this.routeResolver().forToken(route.merged, this.extractToken(request, route.options));
      }
      options = route.options;
      const token = this.extractToken(request, options);
      // The common case, decided without a promise: an answer in memory, a
      // token bound to nothing, requirements met.
      const known = this.cachedOnce(request, route, token);
      if (known === undefined || this.verifyBindingOnce(request, route, known, token) !== undefined) {
        return this.activate(context, request, route, token);
      }
      checkTokenRequirements(known, route.requirements, this.clock.now());
      const done = this.onSuccess(request, known, context);
      if (isThenable(done)) {
        const settled = { request, route };
        return Promise.resolve(done).then(
          () => this.allowed(settled.route.options, known),
          (error: unknown) =>
            this.refuse(context, error, settled.route.options, settled.route, settled.request),
        );
      }
      return this.allowed(options, known);
    } catch (error) {
      // A refusal settles as a rejected promise, as it always has; only an acceptance is immediate.
      try {
        return this.refuse(context, error, options, route, request);
      } catch (refusal) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an HttpException, WsException or RpcException
        return Promise.reject(refusal);
      }
    }
  }

  /** The rest of `canActivate` when the answer is not in memory, or the binding needs checking. */
  private async activate(
    context: ExecutionContext,
    request: GuardedRequest,
    route: RouteSettings,
    token: string,
  ): Promise<boolean> {
    try {
      const result = await this.introspectOnce(request, route, token);
      const binding = this.verifyBindingOnce(request, route, result, token);
      if (binding !== undefined) {
        await binding;
      }
      checkTokenRequirements(result, route.requirements, this.clock.now());
      await this.onSuccess(request, result, context);
      return this.allowed(route.options, result);
    } catch (error) {
      return this.refuse(context, error, route.options, route, request);
    }
  }

  private allowed(options: ResolvedIntrospectionOptions, result: IntrospectionResult): true {
    this.telemetry?.decided(options, undefined, result);
    return true;
  }

  /** Maps `error` to its RFC 6750 answer and throws it (see `throwException`). */
  private refuse(
    context: ExecutionContext,
    error: unknown,
    options: ResolvedIntrospectionOptions,
    route: RouteSettings | undefined,
    request: GuardedRequest | undefined,
  ): never {
    const exception = toGuardException(error, this.logger);
    this.telemetry?.decided(options, exception);
    const dpop: DpopChallengeContext = {
      mode: route?.requirements.dpop ?? options.dpop.mode,
      scheme: request && schemeOf(request),
      algorithms: options.dpop.algorithms,
    };
    return this.throwException(context, exception, options, dpop);
  }

  /**
   * The request the token is read from: the HTTP request (also behind a
   * GraphQL context), or, for WebSocket and microservice contexts, a request
   * built from the handshake or the message.
   */
  protected getRequest(context: ExecutionContext): GuardedRequest {
    switch (context.getType<string>()) {
      case 'ws': {
        const client = context.switchToWs().getClient<{
          handshake?: { headers?: GuardedRequest['headers']; url?: string };
          request?: { method?: string; socket?: PeerCertificateSocket };
        }>();
        // A DPoP proof covers the handshake request (its method and URL).
        return {
          headers: {
            authorization: socketAuthorization(client, this.options.wsAuthPayloadField),
            dpop: client?.handshake?.headers?.dpop,
          },
          method: client?.request?.method ?? 'GET',
          url: client?.handshake?.url,
          socket: client?.request?.socket,
        };
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
    return extractAccessToken(
      { authorization: request.headers.authorization, count: countAuthorizationHeaders(rawHeaders) },
      options.maxTokenLength,
      // RFC 9449 §7.1: the DPoP scheme, unless the registration has DPoP off.
      options.dpop.mode === 'disabled' ? ['bearer'] : ['bearer', 'dpop'],
    ).token;
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
   * @param dpop what decides the DPoP challenge (RFC 9449 §7), when DPoP takes part
   */
  protected throwException(
    context: ExecutionContext,
    exception: HttpException,
    options: ResolvedIntrospectionOptions = this.options,
    dpop?: DpopChallengeContext,
  ): never {
    const headers = failureHeaders(exception, options, dpop);
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

  /**
   * The binding check of RFC 9449 and RFC 8705 for this request, once per
   * request (the guard may run twice) and never cached across requests.
   */
  private verifyBindingOnce(
    request: GuardedRequest,
    route: RouteSettings,
    result: IntrospectionResult,
    token: string,
  ): Promise<void> | undefined {
    const verifier = this.bindingVerifier(route.options);
    const scheme = schemeOf(request) ?? 'bearer';
    if (!verifier.needsCheck(result, scheme, route.requirements.dpop)) {
      return undefined;
    }
    let verified = this.bindings.get(request);
    if (!verified) {
      const rawHeaders = request.rawHeaders ?? request.raw?.rawHeaders;
      const binding: BindingRequest = {
        scheme,
        token,
        method: request.method,
        target: request.originalUrl ?? request.raw?.url ?? request.url,
        headers: request.headers,
        dpopCount: countAuthorizationHeaders(rawHeaders, 'dpop'),
        socket: request.socket ?? request.raw?.socket,
      };
      verified = verifier.verify(result, binding, route.requirements.dpop);
      this.bindings.set(request, verified);
    }
    return verified;
  }

  /** The binding verifier of the registration whose options are `options`. */
  private bindingVerifier(options: ResolvedIntrospectionOptions): TokenBindingVerifier {
    if (options === this.options && this.binding) {
      return this.binding;
    }
    let verifier = this.verifiers.get(options);
    if (!verifier) {
      verifier = [...(this.modules?.values() ?? [])]
        .filter((module) => module.providers.get(INTROSPECTION_RESOLVED_OPTIONS)?.instance === options)
        .map(
          (module) =>
            module.providers.get(TokenBindingVerifier)?.instance as TokenBindingVerifier | undefined,
        )
        .find((found) => found !== undefined);
      if (!verifier) {
        // A subclass built by hand, outside a module: a verifier of its own.
        verifier = new TokenBindingVerifier(options, this.clock);
      }
      this.verifiers.set(options, verifier);
    }
    return verifier;
  }

  private introspectOnce(
    request: GuardedRequest,
    route: RouteSettings,
    token: string,
  ): Promise<IntrospectionResult> {
    const first = (request as IntrospectedRequest)[INTROSPECTIONS];
    for (let known = first; known !== undefined; known = known.next) {
      if (known.introspection === route.introspection) {
        return known.result ?? Promise.resolve(known.value!);
      }
    }
    const result = route.introspection.introspect(token);
    (request as IntrospectedRequest)[INTROSPECTIONS] = {
      introspection: route.introspection,
      result,
      next: first,
    };
    return result;
  }

  /**
   * The answer of this request's introspector for `token` when it is known
   * without waiting: given earlier in this request, or held in memory by the
   * introspector (recorded for this request then). `undefined` otherwise.
   */
  private cachedOnce(
    request: GuardedRequest,
    route: RouteSettings,
    token: string,
  ): IntrospectionResult | undefined {
    const first = (request as IntrospectedRequest)[INTROSPECTIONS];
    for (let known = first; known !== undefined; known = known.next) {
      if (known.introspection === route.introspection) {
        return known.value;
      }
    }
    // Optional: a stand-in introspector (e.g. a test double) may only have introspect().
    const value = route.introspection.cachedResult?.(token);
    if (value !== undefined) {
      (request as IntrospectedRequest)[INTROSPECTIONS] = {
        introspection: route.introspection,
        value,
        next: first,
      };
    }
    return value;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

const DPOP_SCHEME = /^dpop(?: |$)/i;
const BEARER_SCHEME = /^bearer(?: |$)/i;

/** The scheme of the request's `Authorization` header, when it is one the guard reads. */
function schemeOf(request: GuardedRequest): BindingRequest['scheme'] | undefined {
  const header = request.headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  // Tested in place: this runs on every request, and a split would allocate.
  return value === undefined
    ? undefined
    : DPOP_SCHEME.test(value)
      ? 'dpop'
      : BEARER_SCHEME.test(value)
        ? 'bearer'
        : undefined;
}
