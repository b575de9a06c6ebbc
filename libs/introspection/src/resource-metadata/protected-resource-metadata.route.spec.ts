import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { RequireActiveToken } from '../decorators/require-active-token.decorator';
import type { IntrospectionModuleOptions } from '../interfaces/introspection-options.interface';
import { IntrospectionModule } from '../introspection.module';
import { httpRequest } from '../../test-support/http-request';
import { listen } from '../../test-support/listen';

// The document's route, wired by every forRoot* form; no authorization server
// is called to serve it.

const REGISTRATION = {
  endpoint: 'https://as.example.com/introspect',
  issuer: 'https://as.example.com',
  clientId: 'orders-api',
  clientSecret: 'orders-secret',
};
const WELL_KNOWN = '/.well-known/oauth-protected-resource';
const API = 'https://api.example.com';
const PARTNERS = 'https://partners.example.com';

/** A testing module with one registration per item: REGISTRATION with the item's settings. */
function compileWith(...registrations: Array<Partial<IntrospectionModuleOptions> & { name?: string }>) {
  return Test.createTestingModule({
    imports: registrations.map((settings) => IntrospectionModule.forRoot({ ...REGISTRATION, ...settings })),
  }).compile();
}

@Controller('orders')
@RequireActiveToken({ scopes: ['orders:read'] })
class OrdersController {
  @Get()
  list(): string[] {
    return [];
  }
}

/** A provider guarded on one method only, as a GraphQL resolver or a gateway is. */
@Injectable()
class ResolverLike {
  @RequireActiveToken({ scopes: ['orders:audit'] })
  audit(): string {
    return 'audit';
  }
}

@Injectable()
class ResourceConfig {
  createIntrospectionOptions() {
    return { ...REGISTRATION, resource: 'https://api.example.com/orders', resourceMetadata: true };
  }
}

@Module({ providers: [ResourceConfig], exports: [ResourceConfig] })
class ResourceConfigModule {}

const EXPECTED = {
  resource: 'https://api.example.com/orders',
  authorization_servers: ['https://as.example.com'],
  scopes_supported: ['orders:audit', 'orders:read'],
  bearer_methods_supported: ['header'],
};

describe('the protected resource metadata route', () => {
  it.each([
    [
      'forRoot',
      IntrospectionModule.forRoot({
        ...REGISTRATION,
        resource: 'https://api.example.com/orders',
        resourceMetadata: true,
      }),
    ],
    [
      'forRootAsync with useFactory and inject',
      IntrospectionModule.forRootAsync({
        imports: [ResourceConfigModule],
        inject: [ResourceConfig],
        useFactory: (config: ResourceConfig) => config.createIntrospectionOptions(),
      }),
    ],
    ['forRootAsync with useClass', IntrospectionModule.forRootAsync({ useClass: ResourceConfig })],
  ])('is served with %s, scopes from controllers and providers', async (_form, registration) => {
    const moduleRef = await Test.createTestingModule({
      imports: [registration],
      controllers: [OrdersController],
      providers: [ResolverLike],
    }).compile();
    const { app, url } = await listen(moduleRef, 'express');
    try {
      const answer = await httpRequest(`${url}${WELL_KNOWN}/orders`);
      expect(answer.status).toBe(200);
      expect(answer.json()).toStrictEqual(EXPECTED);
    } finally {
      await app.close();
    }
  });

  it('is not registered without an HTTP adapter (a microservice, a bare module)', async () => {
    const moduleRef = await compileWith({ resource: API, resourceMetadata: true });
    await expect(moduleRef.init()).resolves.toBe(moduleRef);
    await moduleRef.close();
  });

  it('stops the boot when two registrations of one resource give a member different values', async () => {
    const moduleRef = await compileWith(
      { resource: API, resourceMetadata: { resource_name: 'Orders' } },
      { issuer: PARTNERS, name: 'partners', resource: API, resourceMetadata: { resource_name: 'Partners' } },
    );
    await expect(listen(moduleRef, 'fastify')).rejects.toThrow(
      /option "resourceMetadata\.resource_name".*two registrations of the resource "https:\/\/api\.example\.com"/,
    );
  });

  it('lists the issuer of every registration of the resource (or of none), not those of another resource', async () => {
    const moduleRef = await compileWith(
      { resource: API, resourceMetadata: true },
      { issuer: PARTNERS, name: 'partners' },
      { issuer: 'https://other.example.com', name: 'other', resource: 'https://other-api.example.com' },
    );
    const { app, url } = await listen(moduleRef, 'fastify');
    try {
      expect((await httpRequest(`${url}${WELL_KNOWN}`)).json().authorization_servers).toStrictEqual([
        REGISTRATION.issuer,
        PARTNERS,
      ]);
    } finally {
      await app.close();
    }
  });
});
