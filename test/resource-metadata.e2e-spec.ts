import { Controller, Get, INestApplication, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IntrospectionModule, RequireActiveToken } from '@app/introspection';
import type { IntrospectionModuleOptions } from '@app/introspection';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';
import { TestAuthorizationServer } from './support/authorization-server';
import { ADAPTERS } from './support/demo-app';
import { bearer, send } from './support/http';
import { listen } from '../libs/introspection/test-support/listen';

// RFC 9728 protected resource metadata, served by the module: the document's
// exact content and path (RFC 9728 §3.1), resource_metadata in challenges
// (§5.1), the audience bound to the resource (RFC 8707) and sendResource.

const clients = demoClients();
const WELL_KNOWN = '/.well-known/oauth-protected-resource';

@Controller('payments')
@RequireActiveToken({ scopes: ['read:payments'] })
class PaymentsController {
  @Get()
  list(): { ok: boolean } {
    return { ok: true };
  }

  @Post()
  @RequireActiveToken({ scopes: ['write:payments'] })
  create(): { ok: boolean } {
    return { ok: true };
  }
}

@Controller('partners')
class PartnersController {
  @Get()
  @RequireActiveToken({ server: 'partners', scopes: ['partners:read'] })
  list(): { ok: boolean } {
    return { ok: true };
  }
}

@Controller('.well-known/oauth-protected-resource')
class OwnDocumentController {
  @Get()
  document(): { resource: string } {
    return { resource: 'https://api.example.com' };
  }
}

@Controller('.well-known')
class AppWellKnownController {
  // The app's own well-known route, beside the module's.
  @Get('security.txt')
  securityTxt(): string {
    return 'Contact: mailto:security@example.com';
  }
}

let as: TestAuthorizationServer;
let partnersAs: TestAuthorizationServer;

beforeAll(async () => {
  [as, partnersAs] = await Promise.all([TestAuthorizationServer.start(), TestAuthorizationServer.start()]);
});

afterAll(async () => {
  await Promise.all([as?.stop(), partnersAs?.stop()]);
});

const registration = (
  server: TestAuthorizationServer,
  options: Partial<IntrospectionModuleOptions> = {},
): IntrospectionModuleOptions => ({
  endpoint: server.introspectionEndpoint,
  issuer: server.issuer,
  clientId: clients.introspectionClients.client_secret_basic.clientId,
  clientSecret: clients.introspectionClients.client_secret_basic.clientSecret,
  realm: 'api',
  ...options,
});

async function start(
  adapter: 'express' | 'fastify',
  options: Partial<IntrospectionModuleOptions>,
  { prefix, partners = false }: { prefix?: string; partners?: boolean } = {},
): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      IntrospectionModule.forRoot(registration(as, options)),
      ...(partners
        ? [
            IntrospectionModule.forRoot({
              name: 'partners',
              ...registration(partnersAs, { realm: 'partners' }),
            }),
          ]
        : []),
    ],
    controllers: [PaymentsController, AppWellKnownController, ...(partners ? [PartnersController] : [])],
  }).compile();
  return listen(moduleRef, adapter, (app) => {
    if (prefix) {
      app.setGlobalPrefix(prefix);
    }
  });
}

describe.each(ADAPTERS)('protected resource metadata on %s', (adapter) => {
  describe('a resource without a path, two authorization servers', () => {
    const RESOURCE = 'https://api.example.com';
    const METADATA = `${RESOURCE}${WELL_KNOWN}`;
    let app: INestApplication;
    let url: string;

    beforeAll(async () => {
      ({ app, url } = await start(
        adapter,
        {
          resource: RESOURCE,
          resourceMetadata: { resource_name: 'Payments API', scopes_supported: ['admin'] },
        },
        { partners: true },
      ));
    });

    afterAll(() => app?.close());

    it(`serves the document at ${WELL_KNOWN}, exactly`, async () => {
      const answer = await send(`${url}${WELL_KNOWN}`);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toMatch(/^application\/json\b/);
      expect(answer.headers['access-control-allow-origin']).toBe('*');
      expect((await send(`${url}${WELL_KNOWN}`, { method: 'HEAD' })).status).toBe(200);
      expect(answer.json()).toStrictEqual({
        resource: RESOURCE,
        authorization_servers: [as.issuer, partnersAs.issuer],
        scopes_supported: ['admin', 'partners:read', 'read:payments', 'write:payments'],
        bearer_methods_supported: ['header'],
        resource_name: 'Payments API',
      });
    });

    it("leaves the app's own routes alone, and serves nothing under the document's path", async () => {
      expect((await send(`${url}/.well-known/security.txt`)).body).toBe(
        'Contact: mailto:security@example.com',
      );
      expect((await send(`${url}${WELL_KNOWN}/other`)).status).toBe(404);
      expect((await send(`${url}${WELL_KNOWN}`, { method: 'POST' })).status).toBe(404);
    });

    it('names the document in the challenge of a request without a token', async () => {
      const answer = await send(`${url}/payments`);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(`Bearer realm="api", resource_metadata="${METADATA}"`);
    });

    it('requires the resource as the audience when none is configured (RFC 8707), naming the document', async () => {
      const forResource = await as.mintToken('read:payments', RESOURCE);
      expect((await send(`${url}/payments`, { headers: bearer(forResource) })).status).toBe(200);

      const forAnother = await as.mintToken('read:payments', clients.audience);
      const answer = await send(`${url}/payments`, { headers: bearer(forAnother) });
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(
        `Bearer realm="api", error="invalid_token", error_description="The access token is not intended for this audience.", resource_metadata="${METADATA}"`,
      );
    });

    it('keeps the scope in the 403 insufficient_scope challenge, naming the document', async () => {
      const token = await as.mintToken('read:payments', RESOURCE);
      const answer = await send(`${url}/payments`, { method: 'POST', headers: bearer(token) });
      expect(answer.status).toBe(403);
      expect(answer.headers['www-authenticate']).toBe(
        `Bearer realm="api", error="insufficient_scope", error_description="The access token lacks a required scope.", scope="write:payments", resource_metadata="${METADATA}"`,
      );
    });
  });

  describe('a resource with a path, under a global prefix', () => {
    const RESOURCE = 'https://api.example.com/v1';
    const METADATA = `https://api.example.com${WELL_KNOWN}/v1`;
    let app: INestApplication;
    let url: string;

    beforeAll(async () => {
      ({ app, url } = await start(adapter, { resource: RESOURCE, resourceMetadata: true }, { prefix: 'v1' }));
    });

    afterAll(() => app?.close());

    it(`serves the document at ${WELL_KNOWN}/v1 (RFC 9728 §3.1), outside the prefix`, async () => {
      const answer = await send(`${url}${WELL_KNOWN}/v1`);
      expect(answer.status).toBe(200);
      expect(answer.json()).toStrictEqual({
        resource: RESOURCE,
        authorization_servers: [as.issuer],
        scopes_supported: ['read:payments', 'write:payments'],
        bearer_methods_supported: ['header'],
      });
      expect((await send(`${url}${WELL_KNOWN}`)).status).toBe(404);
      expect((await send(`${url}/v1${WELL_KNOWN}`)).status).toBe(404);
    });

    it('names that document in challenges of the prefixed routes', async () => {
      const answer = await send(`${url}/v1/payments`);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(`Bearer realm="api", resource_metadata="${METADATA}"`);
      const token = await as.mintToken('read:payments', RESOURCE);
      expect((await send(`${url}/v1/payments`, { headers: bearer(token) })).status).toBe(200);
    });
  });

  describe('a resource without resourceMetadata', () => {
    let app: INestApplication;
    let url: string;

    beforeAll(async () => {
      ({ app, url } = await start(adapter, { resource: 'https://api.example.com', sendResource: true }));
    });

    afterAll(() => app?.close());

    it('serves no document and names none in challenges', async () => {
      expect((await send(`${url}${WELL_KNOWN}`)).status).toBe(404);
      expect((await send(`${url}/payments`)).headers['www-authenticate']).toBe('Bearer realm="api"');
    });

    it('sends resource= with the introspection request (sendResource)', async () => {
      const token = await as.mintToken('read:payments', 'https://api.example.com');
      const from = (await as.requests()).length;
      expect((await send(`${url}/payments`, { headers: bearer(token) })).status).toBe(200);
      const [request] = (await as.requests())
        .slice(from)
        .filter((recorded) => recorded.path === '/token/introspection');
      expect(new URLSearchParams(request.body).get('resource')).toBe('https://api.example.com');
    });
  });

  it("stops the boot when an app route already answers the document's path", async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot(
          registration(as, { resource: 'https://api.example.com', resourceMetadata: true }),
        ),
      ],
      controllers: [OwnDocumentController],
    }).compile();
    await expect(listen(moduleRef, adapter)).rejects.toThrow(
      `Invalid introspection configuration, option "resourceMetadata" (env INTROSPECTION_RESOURCE_METADATA): the application already has a GET route for ${WELL_KNOWN}; remove it, or leave resourceMetadata unset to serve your own document.`,
    );
  });
});
