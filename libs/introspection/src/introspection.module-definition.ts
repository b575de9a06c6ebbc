import { AuthorizationServerMetadataService } from './discovery/authorization-server-metadata.service';
import { ConfigurableModuleBuilder, Provider, Type } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { ClientAuthStrategy } from './client-auth/client-auth-strategy.interface';
import { BearerTokenStrategy } from './client-auth/bearer-token.strategy';
import { ClientSecretBasicStrategy } from './client-auth/client-secret-basic.strategy';
import { ClientSecretJwtStrategy } from './client-auth/client-secret-jwt.strategy';
import { ClientSecretPostStrategy } from './client-auth/client-secret-post.strategy';
import { PrivateKeyJwtStrategy } from './client-auth/private-key-jwt.strategy';
import { IntrospectionConfigurationError } from './errors/introspection.errors';
import { IntrospectionEvents } from './events/introspection-events';
import { ActiveTokenGuard } from './guards/active-token.guard';
import { TokenBindingVerifier } from './binding/token-binding.verifier';
import { RpcDpopCheck } from './binding/rpc-dpop.check';
import { FieldResolverGuardsCheck } from './guards/field-resolver-guards.check';
import { MissingAudienceCheck } from './guards/missing-audience.check';
import { RegistrationNamesCheck } from './guards/registration-names.check';
import { IntrospectionHealth } from './health/introspection-health';
import type { IntrospectionModuleOptions } from './interfaces/introspection-options.interface';
import {
  DEFAULT_INTROSPECTION_SERVER,
  INTROSPECTION_CLIENT_AUTH_STRATEGIES,
  INTROSPECTION_CLOCK,
  INTROSPECTION_REGISTRATION_NAME,
  INTROSPECTION_RESOLVED_OPTIONS,
} from './introspection.constants';
import { IntrospectionService } from './introspection.service';
import { IntrospectionTelemetry } from './telemetry/introspection-telemetry';
import { ProtectedResourceMetadataRoute } from './resource-metadata/protected-resource-metadata.route';
import {
  getIntrospectionEventsToken,
  getIntrospectionHealthToken,
  getIntrospectionOptionsToken,
  getIntrospectionServiceToken,
} from './introspection.tokens';

/** Settings of `forRoot*` that shape the module rather than configure it. */
export interface IntrospectionModuleExtras {
  /**
   * Register the module globally, so `@RequireActiveToken()` and
   * `IntrospectionService` work in every module without importing it.
   * @default false
   */
  isGlobal?: boolean;
  /**
   * Additional client authentication strategies, by class. Each is a
   * provider of this module and is selected when `endpointAuthMethod`
   * equals its `method`.
   * @default []
   */
  clientAuthStrategies?: Type<ClientAuthStrategy>[];
  /**
   * Name of an additional authorization server, next to the default
   * (unnamed) registration. A named registration has its own endpoint,
   * credentials, strategies and cache namespace; routes pick it with
   * `@RequireActiveToken({ server: name })`, code injects it with
   * `@InjectIntrospectionService(name)`. It exports only name-derived tokens,
   * so it never shadows the default registration.
   * @example 'partners'
   */
  name?: string;
}

/** The client authentication strategies every module registers. */
export const BUILT_IN_CLIENT_AUTH_STRATEGIES: Type<ClientAuthStrategy>[] = [
  ClientSecretBasicStrategy,
  ClientSecretPostStrategy,
  ClientSecretJwtStrategy,
  PrivateKeyJwtStrategy,
  BearerTokenStrategy,
];

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: INTROSPECTION_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<IntrospectionModuleOptions>({ moduleName: 'Introspection' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createIntrospectionOptions')
  .setExtras<IntrospectionModuleExtras>(
    { isGlobal: false, clientAuthStrategies: [] },
    (definition, extras) => {
      const strategies = [...BUILT_IN_CLIENT_AUTH_STRATEGIES, ...(extras.clientAuthStrategies ?? [])];
      const strategiesProvider: Provider = {
        provide: INTROSPECTION_CLIENT_AUTH_STRATEGIES,
        useFactory: (...instances: ClientAuthStrategy[]) => instances,
        inject: strategies,
      };
      const named = extras.name === undefined ? undefined : namedRegistration(extras.name);
      return {
        ...definition,
        global: extras.isGlobal,
        providers: [
          ...(definition.providers ?? []),
          ...strategies,
          strategiesProvider,
          ...(named?.providers ?? [
            RegistrationNamesCheck,
            FieldResolverGuardsCheck,
            MissingAudienceCheck,
            RpcDpopCheck,
            ProtectedResourceMetadataRoute,
          ]),
        ],
        // Everything the guard injects, so @RequireActiveToken() resolves in
        // importing modules; a named registration exports only its own tokens.
        exports: named?.exports ?? [
          INTROSPECTION_RESOLVED_OPTIONS,
          INTROSPECTION_CLOCK,
          IntrospectionService,
          ActiveTokenGuard,
          TokenBindingVerifier,
          AuthorizationServerMetadataService,
          IntrospectionEvents,
          IntrospectionHealth,
          IntrospectionTelemetry,
        ],
      };
    },
  )
  .build();

/** The providers and exports that set a named registration apart from the default one. */
function namedRegistration(name: unknown): { providers: Provider[]; exports: Array<string | symbol> } {
  if (typeof name !== 'string' || !/^[\w.-]+$/.test(name)) {
    throw new IntrospectionConfigurationError(
      'name',
      'must be a non-empty string of letters, digits, "_", "-" or "." (e.g. "partners").',
    );
  }
  if (name === DEFAULT_INTROSPECTION_SERVER) {
    throw new IntrospectionConfigurationError(
      'name',
      `"${DEFAULT_INTROSPECTION_SERVER}" designates the unnamed registration; omit name or choose another.`,
    );
  }
  const serviceToken = getIntrospectionServiceToken(name) as string;
  const optionsToken = getIntrospectionOptionsToken(name);
  // Its own events, breakers and health, apart from the default registration's.
  const eventsToken = getIntrospectionEventsToken(name) as string;
  const healthToken = getIntrospectionHealthToken(name) as string;
  return {
    providers: [
      {
        provide: INTROSPECTION_REGISTRATION_NAME,
        // Two registrations under one name would make @RequireActiveToken({ server }) pick one at random.
        useFactory: (modules: ModulesContainer) => {
          const holders = [...modules.values()].filter((module) => module.providers.has(serviceToken));
          if (holders.length > 1) {
            throw new IntrospectionConfigurationError(
              'name',
              `"${name}" is registered ${holders.length} times; give each authorization server its own name.`,
            );
          }
          return name;
        },
        inject: [ModulesContainer],
      },
      { provide: serviceToken, useExisting: IntrospectionService },
      { provide: optionsToken, useExisting: INTROSPECTION_RESOLVED_OPTIONS },
      { provide: eventsToken, useExisting: IntrospectionEvents },
      { provide: healthToken, useExisting: IntrospectionHealth },
    ],
    exports: [serviceToken, optionsToken, eventsToken, healthToken],
  };
}

/** Argument of `IntrospectionModule.forRoot()`: the options plus the extras. */
export type IntrospectionModuleForRootOptions = typeof OPTIONS_TYPE;

/** Argument of `IntrospectionModule.forRootAsync()`: `useFactory`/`useClass`/`useExisting`, `imports`, `inject`, plus the extras. */
export type IntrospectionModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;
