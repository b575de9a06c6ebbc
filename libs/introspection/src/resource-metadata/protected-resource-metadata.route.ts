import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost, ModulesContainer, Reflector } from '@nestjs/core';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { registrationsOf } from '../guards/issuer-routing';
import type { ResolvedProtectedResourceMetadata } from '../interfaces/resource-options.interface';
import { collectRouteScopes } from './collect-route-scopes';
import { protectedResourceMetadataDocument } from './protected-resource-metadata.document';

/**
 * Serves the protected resource metadata document (RFC 9728) of every
 * `resource` a registration sets `resourceMetadata` for, at the path RFC
 * 9728 §3.1 derives from the resource. The route is added to the HTTP
 * adapter itself, exact path and GET only, so the global prefix does not
 * apply (the path comes from the resource, not from the app's routing).
 * Registered when the modules initialise: after the app's routes, before
 * the 404 handler; an app route that already answers that path stops the
 * boot rather than silently winning (Express) or failing obscurely (Fastify). Provided by the default
 * registration; does nothing without an HTTP adapter (a microservice).
 * @internal
 */
@Injectable()
export class ProtectedResourceMetadataRoute implements OnModuleInit {
  private readonly logger = new Logger('Introspection');

  constructor(
    private readonly modules: ModulesContainer,
    private readonly reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const documents = this.documents();
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    if (documents.size === 0 || !adapter) {
      return;
    }
    for (const [path, document] of documents) {
      if (servesAlready(adapter.getInstance(), path)) {
        throw new IntrospectionConfigurationError(
          'resourceMetadata',
          `the application already has a GET route for ${path}; remove it, or leave resourceMetadata unset to serve your own document.`,
        );
      }
      // Serialized once: the document only changes with the configuration.
      const body = JSON.parse(JSON.stringify(document)) as object;
      adapter.get(path, (_request: unknown, response: unknown) => {
        // Public metadata, fetched by browser-based clients too (RFC 9728 §3).
        adapter.setHeader(response, 'Access-Control-Allow-Origin', '*');
        adapter.reply(response, body, 200);
      });
      this.logger.log(`Serving protected resource metadata (RFC 9728) at ${path}`);
    }
  }

  /** The document of each resource, by the path it is served at. */
  private documents(): Map<string, Record<string, unknown>> {
    const registrations = [...registrationsOf(this.modules)];
    const served = new Map<string, { resource: string; metadata: ResolvedProtectedResourceMetadata[] }>();
    for (const { options } of registrations) {
      if (options.resourceMetadata && options.resource) {
        const entry = served.get(options.resourceMetadata.path) ?? {
          resource: options.resource,
          metadata: [],
        };
        entry.metadata.push(options.resourceMetadata);
        served.set(options.resourceMetadata.path, entry);
      }
    }
    if (served.size === 0) {
      return new Map();
    }
    const routeScopes = collectRouteScopes(this.modules, this.reflector);
    const documents = new Map<string, Record<string, unknown>>();
    for (const [path, { resource, metadata }] of served) {
      // Every registration that protects this resource (or sets none) issues tokens for it.
      const authorizationServers = registrations
        .filter(({ options }) => options.resource === undefined || options.resource === resource)
        .flatMap(({ options }) => (options.issuer === undefined ? [] : [options.issuer]));
      const members: Record<string, unknown> = {};
      for (const { members: own } of metadata) {
        for (const [member, value] of Object.entries(own)) {
          if (member in members && JSON.stringify(members[member]) !== JSON.stringify(value)) {
            throw new IntrospectionConfigurationError(
              `resourceMetadata.${member}`,
              `two registrations of the resource "${resource}" give it different values; give it once.`,
            );
          }
          members[member] = value;
        }
      }
      documents.set(
        path,
        protectedResourceMetadataDocument({ resource, authorizationServers, routeScopes, members }),
      );
    }
    return documents;
  }
}

/** The parts of Express's and Fastify's instances that tell whether a GET route answers `path`. */
interface RoutingInstance {
  /** Fastify. */
  hasRoute?: (route: { method: string; url: string }) => boolean;
  /** Express 5 (`_router` in Express 4). */
  router?: { stack?: RouterLayer[] };
  _router?: { stack?: RouterLayer[] };
}

interface RouterLayer {
  route?: { methods?: Record<string, boolean> };
  match?: (path: string) => boolean;
}

/**
 * Whether the app's own routing (Express or Fastify) has a `method` route that answers `path`.
 * @internal
 */
export function servesAlready(instance: unknown, path: string, method: 'GET' | 'POST' = 'GET'): boolean {
  const routing = (instance ?? {}) as RoutingInstance;
  if (typeof routing.hasRoute === 'function') {
    return routing.hasRoute({ method, url: path });
  }
  const stack = (routing.router ?? routing._router)?.stack ?? [];
  const verb = method.toLowerCase();
  return stack.some(
    (layer) =>
      layer.route?.methods?.[verb] === true && typeof layer.match === 'function' && layer.match(path),
  );
}
