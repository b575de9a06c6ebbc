import { Module } from '@nestjs/common';
import { createIntrospectionCache } from './cache/create-introspection-cache';
import { DistributedCoalescing } from './cache/distributed-coalescing';
import { IntrospectionResultCache } from './cache/introspection-result.cache';
import { Revocations } from './revocation/revocations';
import { ClientAuthStrategyRegistry } from './client-auth/client-auth-strategy.registry';
import { resolveIntrospectionOptions } from './config/resolve-options';
import { IntrospectionEvents } from './events/introspection-events';
import { IntrospectionHealth } from './health/introspection-health';
import { ActiveTokenGuard } from './guards/active-token.guard';
import { TokenBindingVerifier } from './binding/token-binding.verifier';
import { createFormPostTransport } from './http/create-form-post-transport';
import { FormPostClient } from './http/form-post.client';
import { IntrospectionHttpClient } from './http/introspection-http.client';
import { AuthorizationServerMetadataService } from './discovery/authorization-server-metadata.service';
import { Clock, systemClock } from './interfaces/clock.interface';
import type { ResolvedIntrospectionOptions } from './interfaces/introspection-options.interface';
import { JwtAccessTokenVerifier } from './jwt-access-token/jwt-access-token.verifier';
import { RemoteKeySetsService } from './keys/remote-key-sets.service';
import { JwtIntrospectionResponseVerifier } from './result/jwt-introspection-response.verifier';
import {
  INTROSPECTION_CACHE,
  INTROSPECTION_CLOCK,
  INTROSPECTION_REGISTRATION_NAME,
  INTROSPECTION_FORM_POST_TRANSPORT,
  INTROSPECTION_RESOLVED_OPTIONS,
  INTROSPECTION_SECURITY_EVENT_ACTIONS,
} from './introspection.constants';
import { ConfigurableModuleClass, INTROSPECTION_MODULE_OPTIONS } from './introspection.module-definition';
import { IntrospectionService } from './introspection.service';
import { CircuitBreakers } from './resilience/circuit-breakers';
import { IntrospectionTelemetry } from './telemetry/introspection-telemetry';
import { SecurityEventTokenVerifier } from './security-events/security-event-token.verifier';
import { SecurityEventsRoute } from './security-events/security-events.route';

/**
 * OAuth 2.0 Token Introspection (RFC 7662) for a resource server: provides
 * {@link IntrospectionService} and the guard behind `@RequireActiveToken()`.
 * Register it once without a name (the default authorization server) and
 * once per additional server with `name`.
 *
 * @example
 * @Module({
 *   imports: [
 *     ConfigModule.forRoot(),
 *     IntrospectionModule.forRootAsync(introspectionConfig.asProvider()),
 *   ],
 * })
 * export class AppModule {}
 */
@Module({
  providers: [
    {
      // Validated once at boot, whichever forRoot* form supplied the options.
      provide: INTROSPECTION_RESOLVED_OPTIONS,
      useFactory: resolveIntrospectionOptions,
      inject: [INTROSPECTION_MODULE_OPTIONS],
    },
    { provide: INTROSPECTION_CLOCK, useValue: systemClock },
    {
      provide: INTROSPECTION_CACHE,
      useFactory: createIntrospectionCache,
      inject: [INTROSPECTION_RESOLVED_OPTIONS],
    },
    {
      // Discovery (RFC 8414) finishes before anything that needs the endpoint is built.
      provide: AuthorizationServerMetadataService,
      useFactory: async (options: ResolvedIntrospectionOptions, clock: Clock) => {
        const metadata = new AuthorizationServerMetadataService(options, clock);
        await metadata.start();
        return metadata;
      },
      inject: [INTROSPECTION_RESOLVED_OPTIONS, INTROSPECTION_CLOCK],
    },
    RemoteKeySetsService,
    JwtIntrospectionResponseVerifier,
    JwtAccessTokenVerifier,
    Revocations,
    IntrospectionResultCache,
    {
      // Only with cache.coalescing 'distributed'.
      provide: DistributedCoalescing,
      useFactory: (options: ResolvedIntrospectionOptions, events: IntrospectionEvents, name?: string) =>
        DistributedCoalescing.fromOptions(options, events, name) ?? null,
      inject: [
        INTROSPECTION_RESOLVED_OPTIONS,
        IntrospectionEvents,
        { token: INTROSPECTION_REGISTRATION_NAME, optional: true },
      ],
    },
    ClientAuthStrategyRegistry,
    IntrospectionEvents,
    CircuitBreakers,
    {
      // undici by default; axios (an optional peer, imported only then) on request.
      provide: INTROSPECTION_FORM_POST_TRANSPORT,
      useFactory: createFormPostTransport,
      inject: [INTROSPECTION_RESOLVED_OPTIONS],
    },
    FormPostClient,
    IntrospectionHttpClient,
    IntrospectionService,
    IntrospectionHealth,
    TokenBindingVerifier,
    IntrospectionTelemetry,
    ActiveTokenGuard,
    // The security event receiver (securityEvents): each registration revokes its own answers.
    {
      provide: INTROSPECTION_SECURITY_EVENT_ACTIONS,
      useFactory: (service: IntrospectionService) => service,
      inject: [IntrospectionService],
    },
    SecurityEventTokenVerifier,
    SecurityEventsRoute,
  ],
  // Exports depend on the registration (default or named): see the module definition.
})
export class IntrospectionModule extends ConfigurableModuleClass {
  /**
   * Registers the module with options given directly, plus the extras
   * (`isGlobal`, `clientAuthStrategies`, `name`).
   */
  declare static forRoot: typeof ConfigurableModuleClass.forRoot;
  /**
   * Registers the module with options from a factory (`useFactory` with
   * `inject`, `useClass` or `useExisting`, and `imports`), plus the extras.
   */
  declare static forRootAsync: typeof ConfigurableModuleClass.forRootAsync;
}
