/* eslint-disable @typescript-eslint/no-unsafe-argument -- Nest types getHttpServer() as any */
// The README tutorial's controller and its test, verbatim but for their
// imports: what the documentation promises is run here.
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import { Controller, Get } from '@nestjs/common';
import request from 'supertest';
import { IntrospectedToken, IntrospectionUnavailableError, RequireActiveToken } from '@app/introspection';
import { IntrospectionTestingModule } from '@app/introspection/testing';

@Controller()
class AppController {
  @Get('payments')
  @RequireActiveToken({ scopes: ['read:payments'] })
  list(@IntrospectedToken('sub') subject: string) {
    return { owner: subject };
  }
}

describe('AppController', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionTestingModule.forRoot({
          realm: 'payments',
          tokens: {
            alice: { active: true, scope: 'read:payments', sub: 'alice' },
            reader: { active: true, scope: 'read:orders', sub: 'bob' },
            revoked: { active: false },
          },
          // Optional: answers for tokens not listed above (default: inactive).
          answer: (token) => {
            if (token === 'outage') throw new IntrospectionUnavailableError('simulated outage');
            return undefined;
          },
        }),
      ],
      controllers: [AppController],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });

  afterAll(() => app.close());

  it('serves an active token', () =>
    request(app.getHttpServer())
      .get('/payments')
      .auth('alice', { type: 'bearer' })
      .expect(200, { owner: 'alice' }));

  it('refuses a revoked token', () =>
    request(app.getHttpServer())
      .get('/payments')
      .auth('revoked', { type: 'bearer' })
      .expect(401)
      .expect(
        'WWW-Authenticate',
        'Bearer realm="payments", error="invalid_token", error_description="The access token is not active."',
      ));

  it('refuses a token without the scope', () =>
    request(app.getHttpServer())
      .get('/payments')
      .auth('reader', { type: 'bearer' })
      .expect(403)
      .expect(
        'WWW-Authenticate',
        'Bearer realm="payments", error="insufficient_scope", error_description="The access token lacks a required scope.", scope="read:payments"',
      ));

  it('fails closed when the authorization server is down', () =>
    request(app.getHttpServer()).get('/payments').auth('outage', { type: 'bearer' }).expect(503));
});
