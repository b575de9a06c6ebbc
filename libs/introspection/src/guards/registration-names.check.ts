import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { TokenRequirementsMetadata } from '../decorators/token-requirements.metadata';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { DEFAULT_INTROSPECTION_SERVER, ROUTE_BY_ISSUER } from '../introspection.constants';
import { registrationNameOf } from '../introspection.tokens';
import { registrationsByIssuer } from './issuer-routing';

/**
 * Stops the boot when a `@RequireActiveToken({ server })` names a
 * registration the application does not have, or when routes route by issuer
 * and two registrations declare the same issuer, instead of answering 503 on
 * the first request. Provided by the default registration.
 * @internal
 */
@Injectable()
export class RegistrationNamesCheck implements OnApplicationBootstrap {
  constructor(
    private readonly modules: ModulesContainer,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    const registered = new Set<string>();
    const classes = new Set<object>();
    for (const module of this.modules.values()) {
      for (const token of module.providers.keys()) {
        const name = registrationNameOf(token);
        if (name !== undefined) {
          registered.add(name);
        }
      }
      for (const wrapper of [...module.controllers.values(), ...module.providers.values()]) {
        if (typeof wrapper.metatype === 'function' && wrapper.metatype.prototype) {
          classes.add(wrapper.metatype);
        }
      }
    }
    let routesByIssuer = false;
    for (const target of classes) {
      for (const [where, server] of this.serversNamedBy(target as { name: string; prototype: object })) {
        routesByIssuer ||= server === ROUTE_BY_ISSUER;
        if (
          server !== DEFAULT_INTROSPECTION_SERVER &&
          server !== ROUTE_BY_ISSUER &&
          !registered.has(server)
        ) {
          throw new IntrospectionConfigurationError(
            'server',
            `@RequireActiveToken({ server: '${server}' }) on ${where} names no registration; ` +
              `add IntrospectionModule.forRoot({ name: '${server}', ... })` +
              (registered.size > 0 ? ` or use one of: ${[...registered].join(', ')}.` : '.'),
          );
        }
      }
    }
    if (routesByIssuer) {
      // Throws for two registrations with one issuer: routing between them would be arbitrary.
      registrationsByIssuer(this.modules);
    }
  }

  /** `[where, server]` for the class and each of its methods (inherited ones too) that name a server. */
  private *serversNamedBy(target: { name: string; prototype: object }): Generator<[string, string]> {
    const onClass = this.reflector.get(TokenRequirementsMetadata, target as () => void)?.server;
    if (onClass !== undefined) {
      yield [target.name, onClass];
    }
    const seen = new Set<string>();
    for (
      let proto: object | null = target.prototype;
      proto && proto !== Object.prototype;
      proto = Object.getPrototypeOf(proto) as object
    ) {
      for (const key of Object.getOwnPropertyNames(proto)) {
        const method = Object.getOwnPropertyDescriptor(proto, key)?.value as unknown;
        if (key === 'constructor' || seen.has(key) || typeof method !== 'function') {
          continue;
        }
        seen.add(key);
        const server = this.reflector.get(TokenRequirementsMetadata, method as () => void)?.server;
        if (server !== undefined) {
          yield [`${target.name}.${key}`, server];
        }
      }
    }
  }
}
