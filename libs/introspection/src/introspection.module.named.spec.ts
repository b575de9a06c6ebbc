import { Controller, Get, INestApplication, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IntrospectedToken } from './decorators/introspected-token.decorator';
import { RequireActiveToken } from './decorators/require-active-token.decorator';
import { ROUTE_BY_ISSUER } from './introspection.constants';
import { IntrospectionModule } from './introspection.module';
import { IntrospectionService } from './introspection.service';
import { getIntrospectionOptionsToken, InjectIntrospectionService } from './introspection.tokens';
import { FakeAuthorizationServer } from '../test-support/fake-authorization-server';
import { httpRequest } from '../test-support/http-request';
import { listen } from '../test-support/listen';

// Several authorization servers in one application: the default
// registration next to a named one, each with its own endpoint, credentials,
// settings and cache namespace.

@Controller()
class MixedController {
  @Get('employees')
  @RequireActiveToken({ scopes: ['staff'] })
  employees(@IntrospectedToken('sub') sub: string): { sub: string } {
    return { sub };
  }

  @Get('partners')
  @RequireActiveToken({ server: 'partners', scopes: ['partner'] })
  partners(@IntrospectedToken('sub') sub: string): { sub: string } {
    return { sub };
  }

  @Get('anyone')
  @RequireActiveToken({ server: ROUTE_BY_ISSUER })
  anyone(@IntrospectedToken('sub') sub: string): { sub: string } {
    return { sub };
  }
}

// The whole controller goes to the partners' server; one route overrides it.
@Controller('catalog')
@RequireActiveToken({ server: 'partners' })
class CatalogController {
  @Get()
  list(): string {
    return 'catalog';
  }

  @Get('internal')
  @RequireActiveToken({ server: 'default' })
  internal(): string {
    return 'internal';
  }
}

@Injectable()
class BothServers {
  constructor(
    readonly employees: IntrospectionService,
    @InjectIntrospectionService('partners') readonly partners: IntrospectionService,
  ) {}
}

describe.each(['express', 'fastify'] as const)('named registrations on %s', (adapter) => {
  let employeesAs: FakeAuthorizationServer;
  let partnersAs: FakeAuthorizationServer;
  let app: INestApplication;
  let url: string;

  const get = (path: string, token = 'dG9rZW4') =>
    httpRequest(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    employeesAs = await FakeAuthorizationServer.start();
    partnersAs = await FakeAuthorizationServer.start();
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot({
          endpoint: employeesAs.endpoint,
          issuer: 'https://employees.example',
          clientId: 'employees-api',
          clientSecret: 'employees-secret',
          realm: 'employees',
          cache: { ttl: '1m' },
        }),
        // Imported after the default one: it must not shadow it.
        IntrospectionModule.forRoot({
          name: 'partners',
          endpoint: partnersAs.endpoint,
          issuer: 'https://partners.example',
          clientId: 'partners-api',
          clientSecret: 'partners-secret',
          endpointAuthMethod: 'client_secret_post',
          realm: 'partners',
          audience: 'partner-api',
          cache: { ttl: '1m' },
        }),
      ],
      controllers: [MixedController, CatalogController],
      providers: [BothServers],
    }).compile();
    ({ app, url } = await listen(moduleRef, adapter));
  });

  beforeEach(() => {
    employeesAs.reset();
    partnersAs.reset();
    employeesAs.answerJson(200, { active: true, token_type: 'Bearer', scope: 'staff', sub: 'employee' });
    partnersAs.answerJson(200, {
      active: true,
      token_type: 'Bearer',
      scope: 'partner',
      sub: 'partner',
      aud: 'partner-api',
    });
  });

  afterAll(async () => {
    await app?.close();
    await employeesAs?.close();
    await partnersAs?.close();
  });

  it('introspects at the default server for routes that name none', async () => {
    const answer = await get('/employees', 'ZW1w');
    expect(answer.json()).toEqual({ sub: 'employee' });
    expect(employeesAs.requests).toHaveLength(1);
    expect(partnersAs.requests).toHaveLength(0);
    expect(employeesAs.lastRequest.headers.authorization).toMatch(/^Basic /);
  });

  it('introspects at the named server, with its credentials and method, for routes that name it', async () => {
    const answer = await get('/partners', 'cGFy');
    expect(answer.json()).toEqual({ sub: 'partner' });
    expect(employeesAs.requests).toHaveLength(0);
    expect(partnersAs.requests).toHaveLength(1);
    expect(partnersAs.lastRequest.form.get('client_id')).toBe('partners-api');
    expect(partnersAs.lastRequest.form.get('client_secret')).toBe('partners-secret');
  });

  it("applies the named registration's realm and audience", async () => {
    partnersAs.answerJson(200, { active: true, token_type: 'Bearer', scope: 'partner', aud: 'someone-else' });
    const answer = await get('/partners', 'YXVk');
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(
      'Bearer realm="partners", error="invalid_token", error_description="The access token is not intended for this audience."',
    );
    employeesAs.answerJson(200, { active: false });
    expect((await get('/employees', 'aW5h')).headers['www-authenticate']).toMatch(
      /^Bearer realm="employees"/,
    );
  });

  it('keeps the caches apart: the same token is cached per server', async () => {
    expect((await get('/employees', 'c2FtZQ')).status).toBe(200);
    expect((await get('/employees', 'c2FtZQ')).status).toBe(200);
    // The partners' answer for the same token is not the employees' one.
    expect((await get('/partners', 'c2FtZQ')).json()).toEqual({ sub: 'partner' });
    expect(employeesAs.requests).toHaveLength(1);
    expect(partnersAs.requests).toHaveLength(1);
  });

  it('lets a method go back to the default server under a controller that names one', async () => {
    expect((await get('/catalog', 'Y2F0')).status).toBe(200);
    expect(partnersAs.requests).toHaveLength(1);
    employeesAs.answerJson(200, { active: true, token_type: 'Bearer' });
    expect((await get('/catalog/internal', 'Y2F0')).status).toBe(200);
    expect(employeesAs.requests).toHaveLength(1);
  });

  it('routes a JWT access token by its iss to the registration declaring that issuer', async () => {
    const jwt = (iss: string) =>
      `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify({ iss })).toString('base64url')}.c2ln`;
    expect((await get('/anyone', jwt('https://partners.example'))).json()).toEqual({ sub: 'partner' });
    expect(partnersAs.requests).toHaveLength(1);
    expect((await get('/anyone', jwt('https://employees.example'))).json()).toEqual({ sub: 'employee' });
    expect(employeesAs.requests).toHaveLength(1);
    // Not a JWT: the default registration.
    expect((await get('/anyone', 'b3BhcXVl')).json()).toEqual({ sub: 'employee' });
    expect(employeesAs.requests).toHaveLength(2);
    const unknown = await get('/anyone', jwt('https://elsewhere.example'));
    expect(unknown.status).toBe(401);
    expect(employeesAs.requests).toHaveLength(2);
    expect(partnersAs.requests).toHaveLength(1);
  });

  it('injects each registration: the default by class, a named one by name', () => {
    const both = app.get(BothServers);
    expect(both.employees).toBeInstanceOf(IntrospectionService);
    expect(both.partners).toBeInstanceOf(IntrospectionService);
    expect(both.partners).not.toBe(both.employees);
    expect(app.get(getIntrospectionOptionsToken('partners'), { strict: false })).toMatchObject({
      clientId: 'partners-api',
    });
  });
});

describe('named registration wiring', () => {
  it('exports only name-derived tokens, so a named registration alone provides no default service', async () => {
    @Injectable()
    class NeedsDefault {
      constructor(readonly introspection: IntrospectionService) {}
    }
    await expect(
      Test.createTestingModule({
        imports: [
          IntrospectionModule.forRoot({
            name: 'partners',
            endpoint: 'https://as.invalid/',
            clientId: 'c',
            clientSecret: 's',
          }),
        ],
        providers: [NeedsDefault],
      }).compile(),
    ).rejects.toThrow(/IntrospectionService/);
  });

  it('stops the boot when a route names a registration that does not exist, naming the route', async () => {
    @Controller()
    class NowhereController {
      @Get('nowhere')
      @RequireActiveToken({ server: 'nowhere' })
      nowhere(): string {
        return 'unreachable';
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot({ endpoint: 'https://as.invalid/', clientId: 'c', clientSecret: 's' }),
        IntrospectionModule.forRoot({
          name: 'partners',
          endpoint: 'https://as.invalid/',
          clientId: 'c',
          clientSecret: 's',
        }),
      ],
      controllers: [NowhereController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow(
      /server: 'nowhere' \}\) on NowhereController\.nowhere names no registration.*one of: partners/,
    );
    await app.close();
  });

  it('stops the boot when routes route by issuer and two registrations declare one issuer', async () => {
    @Controller()
    class ByIssuerController {
      @Get('any')
      @RequireActiveToken({ server: ROUTE_BY_ISSUER })
      any(): string {
        return 'routed';
      }
    }
    const registration = (name?: string) =>
      IntrospectionModule.forRoot({
        ...(name ? { name } : {}),
        endpoint: 'https://as.invalid/introspect',
        issuer: 'https://as.invalid',
        clientId: 'c',
        clientSecret: 's',
      });
    const moduleRef = await Test.createTestingModule({
      imports: [registration(), registration('partners')],
      controllers: [ByIssuerController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow(/two registrations declare the issuer "https:\/\/as\.invalid"/);
    await app.close();
  });

  it('refuses two registrations under the same name at boot', async () => {
    const partners = () =>
      IntrospectionModule.forRoot({
        name: 'partners',
        endpoint: 'https://as.invalid/',
        clientId: 'c',
        clientSecret: 's',
      });
    await expect(Test.createTestingModule({ imports: [partners(), partners()] }).compile()).rejects.toThrow(
      /"partners" is registered 2 times/,
    );
  });

  it('works with forRootAsync', async () => {
    @Module({})
    class Empty {}
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRootAsync({
          name: 'partners',
          imports: [Empty],
          useFactory: () => ({
            endpoint: 'https://as.invalid/',
            clientId: 'async-partners',
            clientSecret: 's',
          }),
        }),
      ],
    }).compile();
    expect(moduleRef.get(getIntrospectionOptionsToken('partners'))).toMatchObject({
      clientId: 'async-partners',
    });
    await moduleRef.close();
  });

  it.each(['', 'has space', 42, 'default'])('refuses %p as a name, naming the option', (name) => {
    expect(() =>
      IntrospectionModule.forRoot({
        name: name as string,
        endpoint: 'https://as.invalid/',
        clientId: 'c',
        clientSecret: 's',
      }),
    ).toThrow(/name/);
  });
});
