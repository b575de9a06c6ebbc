import { Controller, Get, INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { IntrospectedToken } from '../decorators/introspected-token.decorator';
import { RequireActiveToken } from '../decorators/require-active-token.decorator';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import { IntrospectionModule } from '../introspection.module';
import { FakeAuthorizationServer } from '../../test-support/fake-authorization-server';
import { httpRequest } from '../../test-support/http-request';

// How @RequireActiveToken() settings combine, through a real app on both
// adapters against a local introspection endpoint.

@Controller('base')
@RequireActiveToken({ audience: 'orders-api', scopes: ['orders'] })
class OrdersController {
  @Get('class-only')
  classOnly(@IntrospectedToken('sub') sub: string): { sub: string } {
    return { sub };
  }

  @Get('method-scopes')
  @RequireActiveToken({ scopes: ['orders:write'] })
  methodScopes(@IntrospectedToken() token: IntrospectionResult): { scopes: readonly string[] } {
    return { scopes: token.scopes };
  }
}

// Inherits the handlers with other controller-level settings.
@Controller('reports')
@RequireActiveToken({ audience: 'reports-api' })
class ReportsController extends OrdersController {}

describe.each(['express', 'fastify'] as const)('ActiveTokenGuard on %s', (adapter) => {
  let as: FakeAuthorizationServer;
  let app: INestApplication;
  let url: string;

  const answer = (claims: Record<string, unknown>) =>
    as.answerJson(200, { active: true, token_type: 'Bearer', sub: 'u1', ...claims });
  const get = (path: string) =>
    httpRequest(`${url}${path}`, { headers: { authorization: 'Bearer dG9rZW4' } });

  beforeAll(async () => {
    as = await FakeAuthorizationServer.start();
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot({
          endpoint: as.endpoint,
          clientId: 'api',
          clientSecret: 'secret',
          realm: 'r',
        }),
      ],
      controllers: [OrdersController, ReportsController],
    }).compile();
    app =
      adapter === 'fastify'
        ? moduleRef.createNestApplication(new FastifyAdapter())
        : moduleRef.createNestApplication();
    app.useLogger(false);
    await app.listen(0, '127.0.0.1');
    if (adapter === 'fastify') {
      await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
    }
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await as?.close();
  });

  it('applies the controller settings to a method without its own', async () => {
    answer({ aud: 'orders-api', scope: 'orders' });
    const ok = await get('/base/class-only');
    expect(ok.status).toBe(200);
    expect(ok.json()).toEqual({ sub: 'u1' });

    answer({ aud: 'other-api', scope: 'orders' });
    expect((await get('/base/class-only')).status).toBe(401);
  });

  it('lets method settings override controller settings option by option', async () => {
    // The method's scopes replace the controller's; the controller's audience stays.
    answer({ aud: 'orders-api', scope: 'orders:write' });
    expect((await get('/base/method-scopes')).status).toBe(200);

    answer({ aud: 'orders-api', scope: 'orders' });
    const forbidden = await get('/base/method-scopes');
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers['www-authenticate']).toBe(
      'Bearer realm="r", error="insufficient_scope", error_description="The access token lacks a required scope.", scope="orders:write"',
    );

    answer({ aud: 'other-api', scope: 'orders:write' });
    expect((await get('/base/method-scopes')).status).toBe(401);
  });

  it('introspects once per request even though the guard runs for the controller and the method', async () => {
    answer({ aud: 'orders-api', scope: 'orders:write' });
    expect((await get('/base/method-scopes')).status).toBe(200);
    expect(as.requests).toHaveLength(1);
  });

  it('keeps the settings of a subclass controller apart from those of the class it extends', async () => {
    answer({ aud: 'reports-api', scope: 'orders' });
    expect((await get('/reports/class-only')).status).toBe(200);
    expect((await get('/base/class-only')).status).toBe(401);
    answer({ aud: 'orders-api', scope: 'orders' });
    expect((await get('/reports/class-only')).status).toBe(401);
    expect((await get('/base/class-only')).status).toBe(200);
  });
});
