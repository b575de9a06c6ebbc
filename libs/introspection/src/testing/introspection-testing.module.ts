import { DynamicModule, Module } from '@nestjs/common';
import { resolveIntrospectionOptions } from '../config/resolve-options';
import { ActiveTokenGuard } from '../guards/active-token.guard';
import { FieldResolverGuardsCheck } from '../guards/field-resolver-guards.check';
import { RegistrationNamesCheck } from '../guards/registration-names.check';
import { systemClock } from '../interfaces/clock.interface';
import type { IntrospectionModuleOptions } from '../interfaces/introspection-options.interface';
import { INTROSPECTION_CLOCK, INTROSPECTION_RESOLVED_OPTIONS } from '../introspection.constants';
import { IntrospectionService } from '../introspection.service';
import { getIntrospectionOptionsToken, getIntrospectionServiceToken } from '../introspection.tokens';
import {
  TestingIntrospectionAnswer,
  TestingIntrospectionAnswerFunction,
  TestingIntrospectionService,
} from './testing-introspection.service';

/** Options of {@link IntrospectionTestingModule.forRoot}. */
export interface IntrospectionTestingOptions extends Omit<
  IntrospectionModuleOptions,
  | 'endpoint'
  | 'clientId'
  | 'clientSecret'
  | 'endpointAuthMethod'
  | 'jwtSigningProfile'
  | 'bearerToken'
  | 'tokenEndpoint'
  | 'tokenEndpointAuthMethod'
  | 'tokenScope'
  | 'cache'
  | 'cacheUrl'
> {
  /**
   * The answer of the authorization server for each token, by token.
   * @default {}
   * @example { 'alice-token': { active: true, scope: 'read:payments', sub: 'alice' } }
   */
  tokens?: Readonly<Record<string, TestingIntrospectionAnswer>>;
  /** Answers tokens not listed in `tokens`; unlisted tokens are inactive without it. */
  answer?: TestingIntrospectionAnswerFunction;
  /**
   * Register the module globally, like `IntrospectionModule.forRoot({ isGlobal: true })`.
   * @default false
   */
  isGlobal?: boolean;
  /**
   * Stands in for a named registration (`IntrospectionModule.forRoot({ name })`)
   * instead of the default one; import one kit module per registration.
   */
  name?: string;
}

/**
 * Replaces `IntrospectionModule` in tests: no authorization server, no HTTP.
 * The guard, `@RequireActiveToken()`, `@IntrospectedToken()` and the options
 * (`realm`, `audience`, `clockTolerance`, …) are the production ones; only the
 * introspector answers from what the test declares.
 *
 * @example
 * Test.createTestingModule({
 *   imports: [IntrospectionTestingModule.forRoot({ tokens: { t1: { active: true, scope: 'read' } } })],
 *   controllers: [PaymentsController],
 * })
 */
@Module({})
export class IntrospectionTestingModule {
  /** The module with the declared `tokens` and `answer`, and the options the guard applies. */
  static forRoot(options: IntrospectionTestingOptions = {}): DynamicModule {
    const { tokens, answer, isGlobal, name, ...moduleOptions } = options;
    const introspector = new TestingIntrospectionService(tokens, answer);
    if (name !== undefined) {
      const serviceToken = getIntrospectionServiceToken(name);
      const optionsToken = getIntrospectionOptionsToken(name);
      return {
        module: IntrospectionTestingModule,
        global: isGlobal ?? false,
        providers: [
          { provide: optionsToken, useFactory: () => testingOptions(moduleOptions) },
          { provide: serviceToken, useValue: introspector },
        ],
        exports: [optionsToken, serviceToken],
      };
    }
    return {
      module: IntrospectionTestingModule,
      global: isGlobal ?? false,
      providers: [
        {
          provide: INTROSPECTION_RESOLVED_OPTIONS,
          useFactory: () => testingOptions(moduleOptions),
        },
        { provide: INTROSPECTION_CLOCK, useValue: systemClock },
        { provide: TestingIntrospectionService, useValue: introspector },
        { provide: IntrospectionService, useExisting: TestingIntrospectionService },
        ActiveTokenGuard,
        RegistrationNamesCheck,
        FieldResolverGuardsCheck,
      ],
      exports: [
        INTROSPECTION_RESOLVED_OPTIONS,
        INTROSPECTION_CLOCK,
        IntrospectionService,
        TestingIntrospectionService,
        ActiveTokenGuard,
      ],
    };
  }
}

/** The same validation as production: a bad option fails the test module's boot. */
function testingOptions(
  options: Omit<IntrospectionTestingOptions, 'tokens' | 'answer' | 'isGlobal' | 'name'>,
) {
  return resolveIntrospectionOptions({
    ...options,
    endpoint: 'https://introspection.testing.invalid/',
    clientId: 'introspection-testing',
  });
}
