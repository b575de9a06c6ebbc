import type { Reflector } from '@nestjs/core';
import type { ModuleRef, ModulesContainer } from '@nestjs/core';
import { parseDuration } from '../config/duration';
import { TokenRequirementsMetadata } from '../decorators/token-requirements.metadata';
import { InvalidTokenException } from '../errors/bearer-token.exceptions';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { DEFAULT_INTROSPECTION_SERVER, ROUTE_BY_ISSUER } from '../introspection.constants';
import type { IntrospectionService } from '../introspection.service';
import { getIntrospectionOptionsToken, getIntrospectionServiceToken } from '../introspection.tokens';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { TokenRequirements } from '../interfaces/token-requirements.interface';
import type { ResolvedTokenRequirements } from './check-token-requirements';
import { IntrospectionRegistration, registrationsByIssuer, unverifiedJwtIssuer } from './issuer-routing';

/** What the guard applies to one route: the requirements and the registration that introspects. */
export interface RouteSettings {
  readonly requirements: ResolvedTokenRequirements;
  readonly introspection: IntrospectionService;
  readonly options: ResolvedIntrospectionOptions;
  /** Set on routes with issuer routing: the settings above are the default registration's. */
  readonly merged?: TokenRequirements;
}

/** Where the resolver finds the registrations of the application. */
export interface RouteResolverContext {
  readonly reflector: Reflector;
  /** The registration the guard was made for (the default one). */
  readonly fallback: IntrospectionRegistration;
  readonly moduleRef?: ModuleRef;
  readonly modules?: ModulesContainer;
}

/**
 * Turns a route's `@RequireActiveToken()` metadata into the settings the
 * guard applies: the merged requirements (method over controller, option by
 * option) and the registration that introspects, by name or by the JWT's
 * issuer. Route metadata is fixed once the app is built, so it is resolved
 * once per route.
 */
export class RouteResolver {
  /** Settings per route handler, then per controller (a handler may be inherited). */
  private readonly routes = new WeakMap<object, WeakMap<object, RouteSettings>>();
  private issuers?: Map<string, IntrospectionRegistration>;

  constructor(private readonly context: RouteResolverContext) {}

  /** The settings of the route `handler` of `controller`; issuer routing still needs {@link forToken}. */
  route(handler: object, controller: object): RouteSettings {
    let byController = this.routes.get(handler);
    if (!byController) {
      byController = new WeakMap();
      this.routes.set(handler, byController);
    }
    let route = byController.get(controller);
    if (!route) {
      route = this.resolve(handler, controller);
      byController.set(controller, route);
    }
    return route;
  }

  /**
   * Issuer routing: the settings for the registration whose `issuer` is the
   * JWT's `iss`; the default registration's for other tokens.
   * @throws InvalidTokenException when no registration declares that issuer
   */
  forToken(merged: TokenRequirements, token: string): RouteSettings {
    const iss = unverifiedJwtIssuer(token);
    if (iss === undefined) {
      return this.settings(merged, this.context.fallback);
    }
    this.issuers ??= registrationsByIssuer(this.context.modules as ModulesContainer);
    const registration = this.issuers.get(iss);
    if (!registration) {
      // No server we trust issued it: asking one would be pointless (RFC 6750 §3.1).
      throw new InvalidTokenException('The access token was not issued by a trusted authorization server.');
    }
    return this.settings(merged, registration);
  }

  private resolve(handler: object, controller: object): RouteSettings {
    // Method settings override controller settings option by option.
    const [onMethod, onClass] = [handler, controller].map(
      (target): TokenRequirements =>
        this.context.reflector.get(TokenRequirementsMetadata, target as () => void) ?? {},
    );
    const merged: TokenRequirements = { ...onClass, ...definedOnly(onMethod) };
    const registration =
      merged.server === undefined ||
      merged.server === DEFAULT_INTROSPECTION_SERVER ||
      merged.server === ROUTE_BY_ISSUER
        ? this.context.fallback
        : this.registration(merged.server);
    return {
      ...this.settings(merged, registration),
      ...(merged.server === ROUTE_BY_ISSUER ? { merged } : {}),
    };
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
        audience: routeAudience(merged, options),
        clockToleranceMs: options.clockToleranceMs,
        allowMissingTokenType: options.allowMissingTokenType,
        acrValues: merged.acrValues ?? options.acrValues,
        // Checked when the decorator was applied: a duration of whole seconds.
        maxAgeMs: merged.maxAge === undefined ? options.maxAgeMs : parseDuration(merged.maxAge),
      },
    };
  }

  /** The service and options of the named registration `name`, wherever it was imported. */
  private registration(name: string): IntrospectionRegistration {
    try {
      const find = <T>(token: string | symbol | object) =>
        (this.context.moduleRef as ModuleRef).get<T>(token as string, { strict: false });
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
}

/**
 * The route's audience, else the registration's, else its `resource`: a
 * token for this API names this API's resource identifier (RFC 8707 §2).
 */
function routeAudience(merged: TokenRequirements, options: ResolvedIntrospectionOptions): readonly string[] {
  if (merged.audience !== undefined) {
    return [merged.audience].flat();
  }
  if (options.audience.length > 0 || options.resource === undefined) {
    return options.audience;
  }
  return [options.resource];
}

function definedOnly(requirements: TokenRequirements): TokenRequirements {
  return Object.fromEntries(Object.entries(requirements).filter(([, value]) => value !== undefined));
}
