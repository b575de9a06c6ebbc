import { BINDING_DEFAULTS } from '../test-support/resolved-defaults';
import {
  ConfigurableModuleOptionsFactory,
  Controller,
  DynamicModule,
  Get,
  Inject,
  Injectable,
  INestApplication,
  Module,
  ModuleMetadata,
} from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { Test, TestingModule } from '@nestjs/testing';
import { KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import type { ClientAuthRequest, ClientAuthStrategy } from './client-auth/client-auth-strategy.interface';
import { ClientAuthStrategyRegistry } from './client-auth/client-auth-strategy.registry';
import { INTROSPECTION_ENV_VARIABLES } from './config/environment-variables';
import { introspectionConfig } from './config/introspection.config';
import { InjectIntrospectionOptions } from './decorators/inject-introspection-options.decorator';
import { IntrospectedToken } from './decorators/introspected-token.decorator';
import { RequireActiveToken } from './decorators/require-active-token.decorator';
import { IntrospectionConfigurationError } from './errors/introspection.errors';
import type {
  IntrospectionModuleOptions,
  ResolvedIntrospectionOptions,
} from './interfaces/introspection-options.interface';
import { INTROSPECTION_RESOLVED_OPTIONS } from './introspection.constants';
import { IntrospectionEvents } from './events/introspection-events';
import { IntrospectionHealth } from './health/introspection-health';
import { IntrospectionModule } from './introspection.module';
import type { IntrospectionModuleForRootOptions } from './introspection.module-definition';
import { IntrospectionService } from './introspection.service';
import { FakeAuthorizationServer } from '../test-support/fake-authorization-server';
import { httpRequest } from '../test-support/http-request';
import { rejectionOf } from '../test-support/rejection-of';

const CLIENT_ID = 'orders-api';
// Distinctive, so that finding it in an error message cannot be a coincidence.
const SECRET = 'SeCrEt-4b1d0e:never+log/me';
const SECRET_MARK = 'SeCrEt-4b1d0e';

const ACTIVE_ANSWER = {
  active: true,
  token_type: 'Bearer',
  scope: 'read:payments',
  sub: 'user-42',
  aud: 'payments-api',
};

/** Settings an app could hand over from one of its own modules. */
const AS_SETTINGS = Symbol('AS_SETTINGS');

@Module({})
class SettingsModule {
  static with(settings: IntrospectionModuleOptions): DynamicModule {
    return {
      module: SettingsModule,
      providers: [{ provide: AS_SETTINGS, useValue: settings }],
      exports: [AS_SETTINGS],
    };
  }
}

/** An options factory for `useClass` and `useExisting`; counts its calls. */
@Injectable()
class IntrospectionSettings implements ConfigurableModuleOptionsFactory<
  IntrospectionModuleOptions,
  'createIntrospectionOptions'
> {
  calls = 0;

  constructor(@Inject(AS_SETTINGS) private readonly settings: IntrospectionModuleOptions) {}

  createIntrospectionOptions(): IntrospectionModuleOptions {
    this.calls++;
    return { ...this.settings, transport: { timeout: '3s' } };
  }
}

/** Provides and exports a given {@link IntrospectionSettings} instance, for `useExisting`. */
@Module({})
class SettingsFactoryModule {
  static providing(factory: IntrospectionSettings): DynamicModule {
    return {
      module: SettingsFactoryModule,
      providers: [{ provide: IntrospectionSettings, useValue: factory }],
      exports: [IntrospectionSettings],
    };
  }
}

/** A service of a module that does not import IntrospectionModule. */
@Injectable()
class PaymentsService {
  constructor(readonly introspection: IntrospectionService) {}
}

@Module({ providers: [PaymentsService] })
class PaymentsModule {}

@Controller('payments')
@RequireActiveToken({ scopes: ['read:payments'] })
class PaymentsController {
  @Get()
  list(@IntrospectedToken('sub') sub: string): { sub: string } {
    return { sub };
  }
}

/** A consumer module protecting its controller; imports IntrospectionModule itself, or relies on a global one. */
@Module({})
class PaymentsApiModule {
  static importing(introspection?: DynamicModule): DynamicModule {
    return {
      module: PaymentsApiModule,
      imports: introspection ? [introspection] : [],
      controllers: [PaymentsController],
    };
  }
}

/** A custom client authentication method: an API key header. */
@Injectable()
class ApiKeyStrategy implements ClientAuthStrategy {
  readonly method = 'api_key';
  readonly initCalls: ResolvedIntrospectionOptions[] = [];

  // Injecting the module's options proves the strategy is a provider of the module.
  constructor(@InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions) {}

  init(options: ResolvedIntrospectionOptions): void {
    this.initCalls.push(options);
  }

  authenticate(request: ClientAuthRequest): void {
    request.headers['X-Api-Key'] = `${this.options.clientId}.${this.options.clientSecret}`;
  }
}

/** Another strategy claiming the name `api_key`. */
@Injectable()
class LegacyApiKeyStrategy implements ClientAuthStrategy {
  readonly method = 'api_key';
  authenticate(): void {}
}

/** A strategy claiming a built-in name. */
@Injectable()
class ShadowBasicStrategy implements ClientAuthStrategy {
  readonly method = 'client_secret_basic';
  authenticate(): void {}
}

/** A strategy whose boot-time check fails. */
@Injectable()
class IssuerBoundStrategy implements ClientAuthStrategy {
  readonly method = 'issuer_bound';
  init(options: ResolvedIntrospectionOptions): void {
    if (options.issuer === undefined) {
      throw new IntrospectionConfigurationError(
        'issuer',
        'is required by the "issuer_bound" client authentication method.',
      );
    }
  }
  authenticate(): void {}
}

function expectSecretNotRevealed(error: Error, ...more: string[]): void {
  const shown = `${error.message}\n${String(error.stack)}\n${inspect(error, { depth: 5 })}`;
  for (const secret of [SECRET, SECRET_MARK, encodeURIComponent(SECRET), ...more]) {
    expect(shown).not.toContain(secret);
  }
}

describe('IntrospectionModule', () => {
  let as: FakeAuthorizationServer;
  const opened: Array<TestingModule | INestApplication> = [];
  const savedEnv = new Map<string, string | undefined>();

  beforeAll(async () => {
    as = await FakeAuthorizationServer.start();
  });

  afterAll(async () => {
    await as?.close();
  });

  beforeEach(() => {
    as.answerJson(200, ACTIVE_ANSWER);
    // No INTROSPECTION_* variable of the outer environment may leak into a test.
    for (const name of Object.values(INTROSPECTION_ENV_VARIABLES)) {
      savedEnv.set(name, process.env[name]);
      delete process.env[name];
    }
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((closable) => closable.close()));
    for (const [name, value] of savedEnv) {
      if (value === undefined) {
        delete process.env[name];
      } else {
        process.env[name] = value;
      }
    }
  });

  function options(overrides: Partial<IntrospectionModuleOptions> = {}): IntrospectionModuleOptions {
    return { endpoint: as.endpoint, clientId: CLIENT_ID, clientSecret: SECRET, ...overrides };
  }

  /**
   * Compiles and initialises a testing module, closed after the test. One
   * that fails to boot is left alone: Nest's close() would only rethrow the
   * boot error, and such a module has opened no connection.
   */
  async function boot(metadata: ModuleMetadata): Promise<TestingModule> {
    const moduleRef = await Test.createTestingModule(metadata).compile();
    await moduleRef.init();
    opened.push(moduleRef);
    return moduleRef;
  }

  /** Sets environment variables for this test only. */
  function setEnv(variables: Record<string, string>): void {
    Object.assign(process.env, variables);
  }

  /** The module works end to end: its service reaches the fake authorization server. */
  async function expectWorkingIntrospection(moduleRef: TestingModule): Promise<void> {
    as.reset();
    const result = await moduleRef.get(IntrospectionService).introspect('token-abc');
    expect(result).toMatchObject({ active: true, sub: 'user-42' });
    expect(as.lastRequest.form.get('token')).toBe('token-abc');
  }

  describe('forRoot', () => {
    it('provides IntrospectionService, introspecting at the configured endpoint', async () => {
      const moduleRef = await boot({ imports: [IntrospectionModule.forRoot(options())] });

      expect(moduleRef.get(IntrospectionService)).toBeInstanceOf(IntrospectionService);
      await expectWorkingIntrospection(moduleRef);
    });

    it('provides the options validated, with their defaults applied', async () => {
      const moduleRef = await boot({ imports: [IntrospectionModule.forRoot(options())] });

      expect(moduleRef.get<ResolvedIntrospectionOptions>(INTROSPECTION_RESOLVED_OPTIONS)).toEqual({
        tokenEndpointAuthMethod: 'client_secret_basic',
        endpoint: as.endpoint,
        clientId: CLIENT_ID,
        clientSecret: SECRET,
        endpointAuthMethod: 'client_secret_basic',
        ttlMs: 0,
        negativeTtlMs: 0,
        cacheMaxEntries: 10_000,
        cacheLocalTtlMs: undefined,
        cacheSecret: expect.any(KeyObject),
        cachePreviousSecrets: [],
        cacheTimeoutMs: 100,
        cacheCoalescing: 'local',
        tokenTypeHint: 'access_token',
        timeoutMs: 5000,
        clockToleranceMs: 5000,
        audience: [],
        allowMissingTokenType: false,
        maxTokenLength: 4096,
        maxResponseBytes: 65536,
        allowInsecureHttp: false,
        transportClient: 'undici',
        retries: 1,
        retryBackoffMs: 100,
        circuitBreakerThreshold: 5,
        circuitBreakerCooldownMs: 10_000,
        staleIfErrorMs: 0,
        telemetry: { recordSubject: false },
        discovery: false,
        discoveryRetry: false,
        discoveryRefreshIntervalMs: 3_600_000,
        responseFormat: 'json',
        responseMaxAgeMs: 5000,
        method: 'POST',
        requestParams: {},
        requestHeaders: {},
        acceptOpaqueTokens: true,
        sendResource: false,
        acrValues: [],
        ...BINDING_DEFAULTS,
      });
    });
  });

  describe('forRootAsync', () => {
    it('useFactory with inject and imports: reads the options from another module', async () => {
      const moduleRef = await boot({
        imports: [
          IntrospectionModule.forRootAsync({
            imports: [SettingsModule.with(options())],
            inject: [AS_SETTINGS],
            useFactory: (settings: IntrospectionModuleOptions) => ({
              ...settings,
              transport: { timeout: '2s' },
            }),
          }),
        ],
      });

      const resolved = moduleRef.get<ResolvedIntrospectionOptions>(INTROSPECTION_RESOLVED_OPTIONS);
      expect(resolved).toMatchObject({ endpoint: as.endpoint, clientId: CLIENT_ID, timeoutMs: 2000 });
      await expectWorkingIntrospection(moduleRef);
    });

    it('useFactory may be async', async () => {
      const moduleRef = await boot({
        imports: [
          IntrospectionModule.forRootAsync({
            useFactory: () => Promise.resolve(options({ cache: { ttl: '30s' } })),
          }),
        ],
      });

      expect(moduleRef.get<ResolvedIntrospectionOptions>(INTROSPECTION_RESOLVED_OPTIONS).ttlMs).toBe(30_000);
      await expectWorkingIntrospection(moduleRef);
    });

    it('useFactory with ConfigModule.forFeature(introspectionConfig): reads the environment', async () => {
      setEnv({
        INTROSPECTION_ENDPOINT: as.endpoint,
        INTROSPECTION_CLIENT_ID: 'env-client',
        INTROSPECTION_CLIENT_SECRET: SECRET,
        INTROSPECTION_ENDPOINT_AUTH_METHOD: 'client_secret_post',
      });
      const moduleRef = await boot({
        imports: [
          IntrospectionModule.forRootAsync({
            imports: [ConfigModule.forFeature(introspectionConfig)],
            inject: [introspectionConfig.KEY],
            useFactory: (config: ConfigType<typeof introspectionConfig>) => ({
              ...config,
              tokenTypeHint: 'refresh_token',
            }),
          }),
        ],
      });

      await expectWorkingIntrospection(moduleRef);
      const { form } = as.lastRequest;
      expect(form.get('client_id')).toBe('env-client');
      expect(form.get('client_secret')).toBe(SECRET);
      expect(form.get('token_type_hint')).toBe('refresh_token');
    });

    it('useClass: instantiates the factory class inside the module, with its dependencies', async () => {
      const moduleRef = await boot({
        imports: [
          IntrospectionModule.forRootAsync({
            imports: [SettingsModule.with(options())],
            useClass: IntrospectionSettings,
          }),
        ],
      });

      expect(moduleRef.get<ResolvedIntrospectionOptions>(INTROSPECTION_RESOLVED_OPTIONS).timeoutMs).toBe(
        3000,
      );
      expect(moduleRef.get(IntrospectionSettings, { strict: false }).calls).toBe(1);
      await expectWorkingIntrospection(moduleRef);
    });

    it('useExisting: calls the factory instance an imported module exports', async () => {
      const existing = new IntrospectionSettings(options());
      const moduleRef = await boot({
        imports: [
          IntrospectionModule.forRootAsync({
            imports: [SettingsFactoryModule.providing(existing)],
            useExisting: IntrospectionSettings,
          }),
        ],
      });

      expect(existing.calls).toBe(1);
      expect(moduleRef.get<ResolvedIntrospectionOptions>(INTROSPECTION_RESOLVED_OPTIONS).timeoutMs).toBe(
        3000,
      );
      await expectWorkingIntrospection(moduleRef);
    });

    it('introspectionConfig.asProvider(): configures the module from INTROSPECTION_* variables', async () => {
      setEnv({
        INTROSPECTION_ENDPOINT: as.endpoint,
        INTROSPECTION_CLIENT_ID: 'env-client',
        INTROSPECTION_CLIENT_SECRET: SECRET,
        INTROSPECTION_ENDPOINT_AUTH_METHOD: 'client_secret_post',
        INTROSPECTION_TIMEOUT: '1500ms',
        INTROSPECTION_AUDIENCE: 'payments-api, orders-api',
        INTROSPECTION_MAX_RESPONSE_BYTES: '2048',
      });
      const moduleRef = await boot({
        imports: [IntrospectionModule.forRootAsync(introspectionConfig.asProvider())],
      });

      expect(moduleRef.get<ResolvedIntrospectionOptions>(INTROSPECTION_RESOLVED_OPTIONS)).toMatchObject({
        endpoint: as.endpoint,
        clientId: 'env-client',
        clientSecret: SECRET,
        endpointAuthMethod: 'client_secret_post',
        timeoutMs: 1500,
        audience: ['payments-api', 'orders-api'],
        maxResponseBytes: 2048,
      });
      await expectWorkingIntrospection(moduleRef);
      expect(as.lastRequest.form.get('client_secret')).toBe(SECRET);
    });

    it('introspectionConfig.asProvider(): an unset INTROSPECTION_ENDPOINT stops the boot, naming the variable', async () => {
      setEnv({ INTROSPECTION_CLIENT_ID: 'env-client', INTROSPECTION_CLIENT_SECRET: SECRET });

      const error = await rejectionOf(
        boot({ imports: [IntrospectionModule.forRootAsync(introspectionConfig.asProvider())] }),
      );

      expect(error).toBeInstanceOf(IntrospectionConfigurationError);
      expect((error as IntrospectionConfigurationError).option).toBe('endpoint');
      expect(error.message).toContain('INTROSPECTION_ENDPOINT');
      expectSecretNotRevealed(error);
    });

    it('introspectionConfig.asProvider(): an unreadable number stops the boot, naming the variable', async () => {
      setEnv({
        INTROSPECTION_ENDPOINT: as.endpoint,
        INTROSPECTION_CLIENT_ID: 'env-client',
        INTROSPECTION_CLIENT_SECRET: SECRET,
        INTROSPECTION_MAX_RESPONSE_BYTES: '64k',
      });

      const error = await rejectionOf(
        boot({ imports: [IntrospectionModule.forRootAsync(introspectionConfig.asProvider())] }),
      );

      expect(error).toBeInstanceOf(IntrospectionConfigurationError);
      expect(error.message).toContain('INTROSPECTION_MAX_RESPONSE_BYTES');
      expectSecretNotRevealed(error);
    });

    it('a factory that returns no object stops the boot', async () => {
      const error = await rejectionOf(
        boot({
          imports: [
            IntrospectionModule.forRootAsync({
              useFactory: () => undefined as unknown as IntrospectionModuleOptions,
            }),
          ],
        }),
      );

      expect(error).toBeInstanceOf(IntrospectionConfigurationError);
      expect((error as IntrospectionConfigurationError).option).toBe('options');
    });
  });

  describe('isGlobal', () => {
    it.each([
      ['forRoot', () => IntrospectionModule.forRoot({ ...options(), isGlobal: true })],
      [
        'forRootAsync',
        () => IntrospectionModule.forRootAsync({ useFactory: () => options(), isGlobal: true }),
      ],
    ])(
      '%s({ isGlobal: true }) makes IntrospectionService injectable in a module that does not import it',
      async (_form, introspection) => {
        const moduleRef = await boot({ imports: [introspection(), PaymentsModule] });

        const { introspection: injected } = moduleRef.get(PaymentsService);
        expect(injected).toBeInstanceOf(IntrospectionService);
        expect(injected).toBe(moduleRef.get(IntrospectionService));
        await expectWorkingIntrospection(moduleRef);
      },
    );

    it('is off by default: a module that does not import it cannot inject IntrospectionService', async () => {
      const error = await rejectionOf(
        boot({ imports: [IntrospectionModule.forRoot(options()), PaymentsModule] }),
      );

      expect(error.message).toMatch(/IntrospectionService/);
      expect(error.message).toMatch(/PaymentsService/);
    });
  });

  describe('events and health in a consumer module', () => {
    @Injectable()
    class Operations {
      constructor(
        readonly events: IntrospectionEvents,
        readonly health: IntrospectionHealth,
      ) {}
    }

    it('lets a module that imports IntrospectionModule inject IntrospectionEvents and IntrospectionHealth', async () => {
      @Module({ imports: [IntrospectionModule.forRoot(options())], providers: [Operations] })
      class OperationsModule {}
      const moduleRef = await boot({ imports: [OperationsModule] });

      const operations = moduleRef.get(Operations);
      const seen: boolean[] = [];
      operations.events.on('introspection.succeeded', ({ active }) => seen.push(active));
      expect((await operations.health.check()).endpoint.up).toBe(true);
      expect(seen).toEqual([true]);
    });
  });

  describe('@RequireActiveToken() in a consumer module', () => {
    /** Starts an HTTP app on 127.0.0.1 and a random port; closed after the test. */
    async function startApp(imports: ModuleMetadata['imports']): Promise<string> {
      const moduleRef = await Test.createTestingModule({ imports }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      opened.push(app);
      await app.listen(0, '127.0.0.1');
      return app.getUrl();
    }

    it.each([
      [
        'importing IntrospectionModule',
        () => [PaymentsApiModule.importing(IntrospectionModule.forRoot(options()))],
      ],
      [
        'relying on a global IntrospectionModule',
        () => [IntrospectionModule.forRoot({ ...options(), isGlobal: true }), PaymentsApiModule.importing()],
      ],
    ])('resolves the guard when %s, and lets an active token through', async (_label, imports) => {
      const url = await startApp(imports());
      as.reset();

      const answer = await httpRequest(`${url}/payments`, { headers: { Authorization: 'Bearer abc.def' } });

      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ sub: 'user-42' });
      expect(as.lastRequest.form.get('token')).toBe('abc.def');
    });

    it('answers 401 with a Bearer challenge when the token is missing, without asking the server', async () => {
      const url = await startApp([PaymentsApiModule.importing(IntrospectionModule.forRoot(options()))]);
      as.reset();

      const answer = await httpRequest(`${url}/payments`);

      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe('Bearer');
      expect(as.requests).toHaveLength(0);
    });

    it('answers 401 invalid_token for an inactive token', async () => {
      const url = await startApp([
        PaymentsApiModule.importing(IntrospectionModule.forRoot(options({ realm: 'payments' }))),
      ]);
      as.answerJson(200, { active: false });

      const answer = await httpRequest(`${url}/payments`, { headers: { Authorization: 'Bearer abc.def' } });

      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(
        'Bearer realm="payments", error="invalid_token", error_description="The access token is not active."',
      );
    });
  });

  describe('client authentication strategies', () => {
    it('selects a strategy registered through clientAuthStrategies by endpointAuthMethod', async () => {
      const moduleRef = await boot({
        imports: [
          IntrospectionModule.forRoot({
            ...options({ endpointAuthMethod: 'api_key' }),
            clientAuthStrategies: [ApiKeyStrategy],
          }),
        ],
      });

      await expectWorkingIntrospection(moduleRef);
      const { headers, form } = as.lastRequest;
      expect(headers['x-api-key']).toBe(`${CLIENT_ID}.${SECRET}`);
      expect(headers.authorization).toBeUndefined();
      expect([...form.keys()].sort()).toEqual(['token', 'token_type_hint']);
    });

    it('calls init() of the selected strategy once at boot, with the resolved options', async () => {
      const moduleRef = await boot({
        imports: [
          IntrospectionModule.forRoot({
            ...options({ endpointAuthMethod: 'api_key' }),
            clientAuthStrategies: [ApiKeyStrategy],
          }),
        ],
      });

      const strategy = moduleRef.get(ApiKeyStrategy, { strict: false });
      expect(strategy.initCalls).toEqual([moduleRef.get(INTROSPECTION_RESOLVED_OPTIONS)]);
    });

    it('accepts clientAuthStrategies in forRootAsync too', async () => {
      const moduleRef = await boot({
        imports: [
          IntrospectionModule.forRootAsync({
            useFactory: () => options({ endpointAuthMethod: 'api_key' }),
            clientAuthStrategies: [ApiKeyStrategy],
          }),
        ],
      });

      await expectWorkingIntrospection(moduleRef);
      expect(as.lastRequest.headers['x-api-key']).toBe(`${CLIENT_ID}.${SECRET}`);
    });

    it('keeps the built-in methods registered and selectable next to a custom one', async () => {
      const moduleRef = await boot({
        imports: [
          IntrospectionModule.forRoot({
            ...options({ endpointAuthMethod: 'client_secret_post' }),
            clientAuthStrategies: [ApiKeyStrategy],
          }),
        ],
      });

      const registry = moduleRef.get(ClientAuthStrategyRegistry, { strict: false });
      expect(registry.methods()).toEqual([
        'client_secret_basic',
        'client_secret_post',
        'client_secret_jwt',
        'private_key_jwt',
        'bearer',
        'api_key',
      ]);
      await expectWorkingIntrospection(moduleRef);
      expect(as.lastRequest.headers['x-api-key']).toBeUndefined();
      expect(as.lastRequest.form.get('client_secret')).toBe(SECRET);
      expect(moduleRef.get(ApiKeyStrategy, { strict: false }).initCalls).toEqual([]);
    });

    it.each([
      [
        'a built-in name',
        [ShadowBasicStrategy],
        'client_secret_basic',
        ['ShadowBasicStrategy', 'ClientSecretBasicStrategy'],
      ],
      [
        'another custom name',
        [ApiKeyStrategy, LegacyApiKeyStrategy],
        'api_key',
        ['ApiKeyStrategy', 'LegacyApiKeyStrategy'],
      ],
    ])(
      'refuses to boot when a strategy claims %s twice, naming both',
      async (_label, strategies, method, names) => {
        const error = await rejectionOf(
          boot({
            imports: [IntrospectionModule.forRoot({ ...options(), clientAuthStrategies: strategies })],
          }),
        );

        expect(error).toBeInstanceOf(IntrospectionConfigurationError);
        expect((error as IntrospectionConfigurationError).option).toBe('clientAuthStrategies');
        expect(error.message).toContain(`"${method}"`);
        for (const name of names) {
          expect(error.message).toContain(name);
        }
        expectSecretNotRevealed(error);
      },
    );

    it('refuses an unknown endpointAuthMethod, listing every registered method', async () => {
      const error = await rejectionOf(
        boot({
          imports: [
            IntrospectionModule.forRoot({
              ...options({ endpointAuthMethod: 'tls_client_auth' }),
              clientAuthStrategies: [ApiKeyStrategy],
            }),
          ],
        }),
      );

      expect(error).toBeInstanceOf(IntrospectionConfigurationError);
      expect((error as IntrospectionConfigurationError).option).toBe('endpointAuthMethod');
      expect(error.message).toContain('"tls_client_auth"');
      expect(error.message).toContain(
        'client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt, bearer, api_key',
      );
      expectSecretNotRevealed(error);
    });

    it("stops the boot when the selected strategy's init() refuses the options", async () => {
      const error = await rejectionOf(
        boot({
          imports: [
            IntrospectionModule.forRoot({
              ...options({ endpointAuthMethod: 'issuer_bound' }),
              clientAuthStrategies: [IssuerBoundStrategy],
            }),
          ],
        }),
      );

      expect(error).toBeInstanceOf(IntrospectionConfigurationError);
      expect((error as IntrospectionConfigurationError).option).toBe('issuer');
    });
  });

  describe.each([
    [
      'forRoot',
      (o: IntrospectionModuleOptions) => IntrospectionModule.forRoot(o as IntrospectionModuleForRootOptions),
    ],
    [
      'forRootAsync',
      (o: IntrospectionModuleOptions) => IntrospectionModule.forRootAsync({ useFactory: () => o }),
    ],
  ])('bad options given to %s stop the boot', (_form, register) => {
    // Values a type checker would refuse; async factories and env parsing bypass it.
    const BAD_OPTIONS: Array<
      [label: string, overrides: Record<string, unknown>, option: string, message: RegExp]
    > = [
      ['a missing endpoint', { endpoint: undefined }, 'endpoint', /is required.*INTROSPECTION_ENDPOINT/],
      ['an endpoint that is no URL', { endpoint: 'as.example.com/introspect' }, 'endpoint', /absolute URL/],
      [
        'an endpoint that is not http(s)',
        { endpoint: 'ftp://as.example.com/introspect' },
        'endpoint',
        /http\(s\)/,
      ],
      [
        'an endpoint carrying the credentials',
        { endpoint: `http://${CLIENT_ID}:${encodeURIComponent(SECRET)}@127.0.0.1/introspect` },
        'endpoint',
        /must not contain credentials/,
      ],
      ['a zero timeout', { transport: { timeout: 0 } }, 'transport.timeout', /positive duration/],
      ['a negative timeout', { transport: { timeout: '-1s' } }, 'transport.timeout', /positive duration/],
      [
        'a timeout that is no duration',
        { transport: { timeout: 'soon' } },
        'transport.timeout',
        /"soon" is not a duration/,
      ],
      ['a missing clientId', { clientId: undefined }, 'clientId', /is required/],
      [
        'an unknown endpointAuthMethod',
        { endpointAuthMethod: 'tls_client_auth' },
        'endpointAuthMethod',
        /"tls_client_auth" is not a registered method; registered: client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt, bearer\./,
      ],
      [
        'no clientSecret for client_secret_basic',
        { clientSecret: undefined },
        'clientSecret',
        /is required by the "client_secret_basic" client authentication method/,
      ],
      [
        'no clientSecret for client_secret_post',
        { clientSecret: undefined, endpointAuthMethod: 'client_secret_post' },
        'clientSecret',
        /is required by the "client_secret_post" client authentication method/,
      ],
      [
        'a clientSecret that is no string',
        { clientSecret: 73_195_284_601 },
        'clientSecret',
        /must be a string/,
      ],
      [
        'a zero maxResponseBytes',
        { transport: { maxResponseBytes: 0 } },
        'transport.maxResponseBytes',
        /positive whole number/,
      ],
      ['a realm with a double quote', { realm: 'pay"ments' }, 'realm', /double quotes/],
    ];

    it.each(BAD_OPTIONS)('%s', async (_label, overrides, option, message) => {
      const error = await rejectionOf(boot({ imports: [register({ ...options(), ...overrides })] }));

      expect(error).toBeInstanceOf(IntrospectionConfigurationError);
      expect((error as IntrospectionConfigurationError).option).toBe(option);
      expect(error.message).toMatch(message);
      expectSecretNotRevealed(error, '73195284601');
    });

    it('fails app.init() of a whole application too', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [register(options({ clientSecret: undefined }))],
      }).compile();
      // Not closed afterwards: it never listened, and close() would rethrow the boot error.
      const app = moduleRef.createNestApplication({ logger: false });

      const error = await rejectionOf(app.init());

      expect(error).toBeInstanceOf(IntrospectionConfigurationError);
      expect((error as IntrospectionConfigurationError).option).toBe('clientSecret');
    });
  });
});
