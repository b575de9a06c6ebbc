/* eslint-disable @typescript-eslint/no-unsafe-argument -- Nest types getHttpServer() as any */
// The README's controller test, verbatim but for its imports: what the
// documentation promises is run here.
import { Test } from '@nestjs/testing';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { IntrospectionUnavailableError, IntrospectedToken, RequireActiveToken } from '@app/introspection';
import { IntrospectionTestingModule } from '@app/introspection/testing';
import { Controller, Get } from '@nestjs/common';

@Controller('payments')
class PaymentsController {
  @Get()
  @RequireActiveToken({ scopes: ['payments:read'] })
  list(@IntrospectedToken('sub') owner: string) {
    return { owner };
  }
}

describe('PaymentsController', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionTestingModule.forRoot({
          realm: 'payments',
          tokens: {
            alice: { active: true, scope: 'payments:read', sub: 'alice' },
            revoked: { active: false },
          },
          // Optional: answers for tokens not listed above (default: inactive).
          answer: (token) => {
            if (token === 'outage') throw new IntrospectionUnavailableError('simulated outage');
            return undefined;
          },
        }),
      ],
      controllers: [PaymentsController],
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

  it('fails closed when the authorization server is down', () =>
    request(app.getHttpServer()).get('/payments').auth('outage', { type: 'bearer' }).expect(503));
});
