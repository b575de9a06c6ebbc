import { MetadataScanner, type ModulesContainer, type Reflector } from '@nestjs/core';
import { TokenRequirementsMetadata } from '../decorators/token-requirements.metadata';

/**
 * Every scope a `@RequireActiveToken({ scopes })` of the application
 * requires, on controllers and providers (GraphQL resolvers, gateways),
 * on classes and methods, inherited methods included.
 * @internal
 */
export function collectRouteScopes(modules: ModulesContainer, reflector: Reflector): Set<string> {
  const scanner = new MetadataScanner();
  const scopes = new Set<string>();
  const add = (target: object | undefined) => {
    for (const scope of (target && reflector.get(TokenRequirementsMetadata, target as () => void)?.scopes) ??
      []) {
      scopes.add(scope);
    }
  };
  for (const module of modules.values()) {
    for (const { instance } of [...module.controllers.values(), ...module.providers.values()]) {
      if (typeof instance !== 'object' || instance === null) {
        continue;
      }
      const prototype = Object.getPrototypeOf(instance) as Record<string, object> | null;
      add(instance.constructor);
      for (const method of scanner.getAllMethodNames(prototype)) {
        add((prototype as Record<string, object>)[method]);
      }
    }
  }
  return scopes;
}
