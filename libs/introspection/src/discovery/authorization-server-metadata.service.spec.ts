import { Logger } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import type { ServerResponse } from 'node:http';
import {
  IntrospectionConfigurationError,
  IntrospectionUnavailableError,
} from '../errors/introspection.errors';
import type { Clock } from '../interfaces/clock.interface';
import type { IntrospectionModuleOptions } from '../interfaces/introspection-options.interface';
import { INTROSPECTION_CLOCK } from '../introspection.constants';
import { IntrospectionModule } from '../introspection.module';
import { IntrospectionService } from '../introspection.service';
import {
  closedPort,
  FakeAuthorizationServer,
  RecordedRequest,
} from '../../test-support/fake-authorization-server';
import { rejectionOf } from '../../test-support/rejection-of';
import { AuthorizationServerMetadataService } from './authorization-server-metadata.service';
import { metadataUrls } from './fetch-authorization-server-metadata';

/** Waits (a bounded number of event-loop turns) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(condition()).toBe(true);
}

const OAUTH_PATH = '/.well-known/oauth-authorization-server';
const OIDC_PATH = '/.well-known/openid-configuration';

describe('metadataUrls', () => {
  it('inserts the RFC 8414 segment before the path and appends the OpenID Connect one', () => {
    expect(metadataUrls('https://as.example.com/tenant/1')).toEqual([
      'https://as.example.com/.well-known/oauth-authorization-server/tenant/1',
      'https://as.example.com/tenant/1/.well-known/openid-configuration',
    ]);
  });

  it('adds no path for an issuer without one', () => {
    expect(metadataUrls('https://as.example.com')).toEqual([
      'https://as.example.com/.well-known/oauth-authorization-server',
      'https://as.example.com/.well-known/openid-configuration',
    ]);
  });
});

describe('discovery from the issuer', () => {
  let as: FakeAuthorizationServer;
  const modules: TestingModule[] = [];
  let now = 1_800_000_000_000;
  const clock: Clock = { now: () => now };

  const metadata = (overrides: Record<string, unknown> = {}) => ({
    issuer: as.origin,
    introspection_endpoint: `${as.origin}/introspect`,
    jwks_uri: `${as.origin}/jwks`,
    token_endpoint: `${as.origin}/token`,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    ...overrides,
  });

  /** Answers metadata at `paths`, `{active:true}` at /introspect, 404 elsewhere. */
  function serve(
    document: (() => unknown) | undefined,
    { paths = [OAUTH_PATH], status = 200 }: { paths?: string[]; status?: number } = {},
  ): void {
    as.answerWith((request: RecordedRequest, res: ServerResponse) => {
      if (request.path === '/introspect') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ active: true, token_type: 'Bearer' }));
      } else if (paths.includes(request.path) && document) {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(document()));
      } else {
        res.writeHead(404).end();
      }
    });
  }

  async function boot(options: Partial<IntrospectionModuleOptions> = {}): Promise<TestingModule> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot({
          issuer: as.origin,
          clientId: 'api',
          clientSecret: 'secret',
          ...options,
        }),
      ],
    })
      .overrideProvider(INTROSPECTION_CLOCK)
      .useValue(clock)
      .compile();
    modules.push(moduleRef);
    await moduleRef.init();
    return moduleRef;
  }

  beforeAll(async () => {
    as = await FakeAuthorizationServer.start();
  });

  afterAll(async () => {
    await as?.close();
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
  });

  it('introspects at the endpoint of the RFC 8414 document', async () => {
    serve(() => metadata());
    const moduleRef = await boot();
    await expect(moduleRef.get(IntrospectionService).introspect('t')).resolves.toMatchObject({
      active: true,
    });
    expect(as.requests.map((r) => r.path)).toEqual([OAUTH_PATH, '/introspect']);
  });

  it('signs client_secret_jwt assertions for the issuer and sends them to the discovered endpoint', async () => {
    serve(() => metadata());
    const moduleRef = await boot({
      endpointAuthMethod: 'client_secret_jwt',
      clientSecret: 'a-client-secret-of-at-least-32-bytes',
    });
    await moduleRef.get(IntrospectionService).introspect('t');
    const [introspection] = as.requestsTo('/introspect');
    const assertion = introspection.form.get('client_assertion')!;
    const claims = JSON.parse(Buffer.from(assertion.split('.')[1], 'base64url').toString()) as {
      aud: unknown;
      sub: unknown;
    };
    expect(claims).toMatchObject({ aud: as.origin, sub: 'api' });
  });

  it('discovers with options from an async factory, and exports the discovery service', async () => {
    serve(() => metadata());
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRootAsync({
          useFactory: async () => {
            await Promise.resolve();
            return { issuer: as.origin, clientId: 'api', clientSecret: 'secret' };
          },
        }),
      ],
    }).compile();
    modules.push(moduleRef);
    await moduleRef.init();
    expect(moduleRef.get(AuthorizationServerMetadataService).current).toMatchObject({
      issuer: as.origin,
      introspectionEndpoint: `${as.origin}/introspect`,
      jwksUri: `${as.origin}/jwks`,
      tokenEndpoint: `${as.origin}/token`,
    });
    await expect(moduleRef.get(IntrospectionService).introspect('t')).resolves.toMatchObject({
      active: true,
    });
  });

  it('falls back to the OpenID Connect document when the RFC 8414 one is not found', async () => {
    serve(() => metadata(), { paths: [OIDC_PATH] });
    const moduleRef = await boot();
    await moduleRef.get(IntrospectionService).introspect('t');
    expect(as.requests.map((r) => r.path)).toEqual([OAUTH_PATH, OIDC_PATH, '/introspect']);
  });

  it('prefers a configured endpoint and does not discover at all', async () => {
    serve(() => metadata({ introspection_endpoint: 'https://elsewhere.example.com/introspect' }));
    const moduleRef = await boot({ endpoint: `${as.origin}/introspect` });
    await moduleRef.get(IntrospectionService).introspect('t');
    expect(as.requests.map((r) => r.path)).toEqual(['/introspect']);
  });

  it.each([
    ['an issuer that differs', () => metadata({ issuer: 'https://evil.example.com' }), /must be identical/],
    ['an issuer with a trailing slash', () => metadata({ issuer: `${as.origin}/` }), /must be identical/],
    [
      'no introspection_endpoint',
      () => metadata({ introspection_endpoint: undefined }),
      /advertises no introspection_endpoint/,
    ],
    [
      'an introspection_endpoint that is not a URL',
      () => metadata({ introspection_endpoint: 'nope' }),
      /not an http\(s\) URL/,
    ],
    ['a document that is not an object', () => ['issuer'], /not a JSON object/],
  ])('stops the boot for %s, naming the issuer option', async (_label, document, message) => {
    serve(document);
    const error = await rejectionOf(boot());
    expect(error).toBeInstanceOf(IntrospectionConfigurationError);
    expect((error as IntrospectionConfigurationError).option).toBe('issuer');
    expect(error.message).toMatch(message);
  });

  it('stops the boot for a document larger than maxResponseBytes', async () => {
    serve(() => metadata({ padding: 'x'.repeat(5000) }));
    const error = await rejectionOf(boot({ transport: { maxResponseBytes: 4096 } }));
    expect(error).toBeInstanceOf(IntrospectionConfigurationError);
    expect(error.message).toMatch(/exceeds 4096 bytes/);
  });

  it('stops the boot when neither document exists', async () => {
    serve(undefined);
    const error = await rejectionOf(boot());
    expect(error).toBeInstanceOf(IntrospectionConfigurationError);
    expect(error.message).toContain(OIDC_PATH);
  });

  it('stops the boot when the server is unreachable, saying how to start anyway', async () => {
    const issuer = `http://127.0.0.1:${await closedPort()}`;
    const error = await rejectionOf(boot({ issuer }));
    expect(error).toBeInstanceOf(IntrospectionUnavailableError);
    expect(error.message).toMatch(/discoveryRetry/);
  });

  it('stops the boot on a 5xx answer', async () => {
    serve(() => metadata(), { status: 503 });
    expect(await rejectionOf(boot())).toBeInstanceOf(IntrospectionUnavailableError);
  });

  describe('with discoveryRetry', () => {
    beforeEach(() => {
      jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    });

    it('starts, fails closed until discovery succeeds, then introspects', async () => {
      serve(() => metadata(), { status: 503 });
      const moduleRef = await boot({ discoveryRetry: true });
      const service = moduleRef.get(IntrospectionService);
      expect(await rejectionOf(service.introspect('t'))).toBeInstanceOf(IntrospectionUnavailableError);
      expect(as.requestsTo('/introspect')).toHaveLength(0);

      serve(() => metadata());
      // What the background timer does; called here rather than waited for.
      await moduleRef.get(AuthorizationServerMetadataService).refresh();
      await expect(service.introspect('t')).resolves.toMatchObject({ active: true });
    });

    it('still stops the boot for a wrong document', async () => {
      serve(() => metadata({ issuer: 'https://evil.example.com' }));
      expect(await rejectionOf(boot({ discoveryRetry: true }))).toBeInstanceOf(
        IntrospectionConfigurationError,
      );
    });
  });

  describe('refresh', () => {
    it('keeps the previous metadata when a refresh fails', async () => {
      jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      serve(() => metadata());
      const moduleRef = await boot();
      serve(() => metadata(), { status: 500 });
      const discovery = moduleRef.get(AuthorizationServerMetadataService);
      expect(await rejectionOf(discovery.refresh())).toBeInstanceOf(IntrospectionUnavailableError);
      expect(discovery.introspectionEndpoint()).toBe(`${as.origin}/introspect`);
    });

    it('fetches the document again after an introspection finds no answer, at most every 30 s', async () => {
      let endpoint = `${as.origin}/gone`;
      serve(() => metadata({ introspection_endpoint: endpoint }));
      const moduleRef = await boot();
      const service = moduleRef.get(IntrospectionService);
      jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      as.answerWith((request, res) => {
        if (request.path === OAUTH_PATH) {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(metadata({ introspection_endpoint: endpoint })));
        } else if (request.path === '/introspect') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ active: true, token_type: 'Bearer' }));
        } else {
          res.writeHead(503).end();
        }
      });
      endpoint = `${as.origin}/introspect`;

      // Within 30 s of the boot-time discovery: no refresh.
      expect(await rejectionOf(service.introspect('t'))).toBeInstanceOf(IntrospectionUnavailableError);
      expect(as.requestsTo(OAUTH_PATH)).toHaveLength(0);

      now += 31_000;
      expect(await rejectionOf(service.introspect('t'))).toBeInstanceOf(IntrospectionUnavailableError);
      // The refresh runs in the background; wait for the request it makes.
      await until(() => as.requestsTo(OAUTH_PATH).length === 1);
      await until(
        () => moduleRef.get(AuthorizationServerMetadataService).introspectionEndpoint() === endpoint,
      );
      await expect(service.introspect('t')).resolves.toMatchObject({ active: true });
    });
  });

  it('warns at boot when the configured method is not advertised', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    serve(() => metadata({ introspection_endpoint_auth_methods_supported: ['private_key_jwt'] }));
    await boot();
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/does not advertise "client_secret_basic"/));
  });

  it('does not warn when the configured method is advertised', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    serve(() => metadata());
    await boot();
    // (The boot still warns that no audience is set: not this test's concern.)
    expect(warn).not.toHaveBeenCalledWith(expect.stringMatching(/does not advertise/));
  });
});
