import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { TokenRequirementsMetadata } from '../decorators/token-requirements.metadata';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';

type NestModule = ModulesContainer extends Map<string, infer M> ? M : never;

/** The members of `@nestjs/graphql` the check reads. */
type GraphqlConstants = Pick<
  typeof import('@nestjs/graphql'),
  | 'GRAPHQL_MODULE_OPTIONS'
  | 'RESOLVER_TYPE_METADATA'
  | 'RESOLVER_PROPERTY_METADATA'
  | 'RESOLVER_REFERENCE_METADATA'
>;

/** The `GraphQLModule` options the check reads. */
interface GraphqlModuleOptions {
  fieldResolverEnhancers?: string[];
  include?: unknown[];
}

/** GraphQL runs guards on the resolvers of these types whatever its options. */
const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/** A method of a class that carries (or inherits from the class) `@RequireActiveToken()`. */
interface GuardedMethod {
  readonly className: string;
  readonly method: string;
  /** The requirement is on the class, not on the method. */
  readonly onClass: boolean;
}

/**
 * Stops the boot when `@RequireActiveToken()` applies to a GraphQL field
 * resolver (`@ResolveField`, `@ResolveReference`) while GraphQL runs no guards
 * on field resolvers (`fieldResolverEnhancers` without `'guards'`): the guard
 * would be skipped and the field served without a token. Does nothing without
 * `@nestjs/graphql` or a `GraphQLModule`. Provided by the default registration.
 * @internal
 */
@Injectable()
export class FieldResolverGuardsCheck implements OnApplicationBootstrap {
  // The scanner GraphQL itself uses to find resolver methods, inherited ones included.
  private readonly scanner = new MetadataScanner();

  constructor(
    private readonly modules: ModulesContainer,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    const guarded = [...this.modules.values()].flatMap((module) =>
      [...module.providers.values()]
        .map(({ instance }) => instance)
        .filter((instance) => this.guardedMethodsOf(instance).length > 0)
        .map((instance) => ({ module, instance })),
    );
    // No provider is guarded (a REST-only app): @nestjs/graphql is not even loaded.
    const graphql = guarded.length > 0 ? loadGraphql() : undefined;
    if (!graphql) {
      return;
    }
    for (const module of this.modules.values()) {
      const options = module.providers.get(graphql.GRAPHQL_MODULE_OPTIONS)?.instance as
        GraphqlModuleOptions | undefined;
      if (!options || options.fieldResolverEnhancers?.includes('guards')) {
        continue;
      }
      const explored = this.exploredBy(options);
      for (const { module: owner, instance } of guarded) {
        const field = explored.has(owner) ? this.firstFieldResolver(instance, graphql) : undefined;
        if (field) {
          throw new IntrospectionConfigurationError(
            'fieldResolverEnhancers',
            `@RequireActiveToken() on ${
              field.onClass
                ? `${field.className} is never applied to ${field.className}.${field.method}`
                : `${field.className}.${field.method} is never applied`
            }: it is a GraphQL field resolver (@ResolveField), on which GraphQL runs no guards unless told to. ` +
              "Set fieldResolverEnhancers: ['guards'] in GraphQLModule.forRoot(), " +
              'or move @RequireActiveToken() to the query or mutation that returns the type.',
          );
        }
      }
    }
  }

  /** The methods of `instance` that `@RequireActiveToken()` applies to, from the method or the class. */
  private guardedMethodsOf(instance: unknown): GuardedMethod[] {
    if (typeof instance !== 'object' || instance === null) {
      return [];
    }
    const prototype = Object.getPrototypeOf(instance) as Record<string, () => void> | null;
    const target = instance.constructor as () => void;
    const onClass = this.reflector.get(TokenRequirementsMetadata, target) !== undefined;
    return this.scanner
      .getAllMethodNames(prototype)
      .filter(
        (method) =>
          onClass ||
          this.reflector.get(TokenRequirementsMetadata, (prototype as Record<string, () => void>)[method]) !==
            undefined,
      )
      .map((method) => ({ className: target.name, method, onClass }));
  }

  /**
   * The first guarded method that GraphQL resolves as a field, the way its
   * resolver explorer decides it: a resolver type that is not a root type, and
   * a field or reference resolver.
   */
  private firstFieldResolver(instance: unknown, graphql: GraphqlConstants): GuardedMethod | undefined {
    const prototype = Object.getPrototypeOf(instance) as Record<string, object>;
    const target = (instance as object).constructor;
    return this.guardedMethodsOf(instance).find(({ method }) => {
      const callback = prototype[method];
      const type: unknown =
        Reflect.getMetadata(graphql.RESOLVER_TYPE_METADATA, callback) ??
        Reflect.getMetadata(graphql.RESOLVER_TYPE_METADATA, target);
      const field =
        Reflect.getMetadata(graphql.RESOLVER_PROPERTY_METADATA, callback) === true ||
        Reflect.getMetadata(graphql.RESOLVER_REFERENCE_METADATA, callback) === true;
      return field && typeof type === 'string' && !ROOT_TYPES.has(type);
    });
  }

  /** The modules whose resolvers a GraphQL module serves: all, or its `include` and what they import. */
  private exploredBy(options: GraphqlModuleOptions): Set<NestModule> {
    const all = [...this.modules.values()];
    if (!options.include?.length) {
      return new Set(all);
    }
    const explored = new Set<NestModule>();
    const pending = all.filter((module) => options.include?.includes(module.metatype));
    for (let module = pending.pop(); module; module = pending.pop()) {
      if (!explored.has(module)) {
        explored.add(module);
        pending.push(...module.imports);
      }
    }
    return explored;
  }
}

/** `@nestjs/graphql`'s constants, or `undefined` when it is not installed (an optional peer). */
function loadGraphql(): GraphqlConstants | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@nestjs/graphql') as GraphqlConstants;
  } catch {
    return undefined;
  }
}
