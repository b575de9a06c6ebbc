import { ConfigurableModuleBuilder, Provider, Type } from '@nestjs/common';
import type { ClientAuthStrategy } from './client-auth/client-auth-strategy.interface';
import { BearerTokenStrategy } from './client-auth/bearer-token.strategy';
import { ClientSecretBasicStrategy } from './client-auth/client-secret-basic.strategy';
import { ClientSecretJwtStrategy } from './client-auth/client-secret-jwt.strategy';
import { ClientSecretPostStrategy } from './client-auth/client-secret-post.strategy';
import { PrivateKeyJwtStrategy } from './client-auth/private-key-jwt.strategy';
import type { IntrospectionModuleOptions } from './interfaces/introspection-options.interface';
import { INTROSPECTION_CLIENT_AUTH_STRATEGIES } from './introspection.constants';

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
      return {
        ...definition,
        global: extras.isGlobal,
        providers: [...(definition.providers ?? []), ...strategies, strategiesProvider],
      };
    },
  )
  .build();

/** Argument of `IntrospectionModule.forRoot()`: the options plus the extras. */
export type IntrospectionModuleForRootOptions = typeof OPTIONS_TYPE;

/** Argument of `IntrospectionModule.forRootAsync()`: `useFactory`/`useClass`/`useExisting`, `imports`, `inject`, plus the extras. */
export type IntrospectionModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;
