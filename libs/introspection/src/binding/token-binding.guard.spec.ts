import { Controller, Get, INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { FakeAuthorizationServer } from '../../test-support/fake-authorization-server';
import { httpRequest } from '../../test-support/http-request';
import { RequireActiveToken } from '../decorators/require-active-token.decorator';
import { IntrospectionModule } from '../introspection.module';
import { accessTokenHash } from './dpop-proof.verifier';

// The guard runs twice when both the controller and the method carry
// @RequireActiveToken(): the proof is checked once, or its jti would be
// taken for a replay by the second run.

const TOKEN = 'dG9rZW4';
const PUBLIC_URL = 'https://api.example.com';

@Controller('orders')
@RequireActiveToken()
class OrdersController {
  @Get('mine')
  @RequireActiveToken({ dpop: 'required' })
  mine(): { ok: true } {
    return { ok: true };
  }
}

describe.each(['express', 'fastify'] as const)('DPoP through the guard on %s', (adapter) => {
  let as: FakeAuthorizationServer;
  let app: INestApplication;
  let url: string;
  let proof: () => Promise<string>;
  let jkt: string;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    jkt = await calculateJwkThumbprint(jwk, 'sha256');
    proof = () =>
      new SignJWT({
        jti: randomUUID(),
        htm: 'GET',
        htu: `${PUBLIC_URL}/orders/mine`,
        ath: accessTokenHash(TOKEN),
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .setIssuedAt()
        .sign(privateKey);
    as = await FakeAuthorizationServer.start();
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot({
          endpoint: as.endpoint,
          clientId: 'api',
          clientSecret: 'secret',
          realm: 'r',
          publicUrl: PUBLIC_URL,
        }),
      ],
      controllers: [OrdersController],
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

  it('checks the proof once per request, though the guard runs twice', async () => {
    as.answerJson(200, { active: true, token_type: 'DPoP', cnf: { jkt } });
    const answer = await httpRequest(`${url}/orders/mine`, {
      headers: { authorization: `DPoP ${TOKEN}`, dpop: await proof() },
    });
    expect(answer.status).toBe(200);
  });

  it("applies the method's dpop: 'required' over the registration's 'allowed'", async () => {
    as.answerJson(200, { active: true, token_type: 'Bearer' });
    const answer = await httpRequest(`${url}/orders/mine`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(
      'DPoP realm="r", algs="ES256 ES384 EdDSA RS256 PS256", error="invalid_token", error_description="This resource requires a DPoP-bound access token and a DPoP proof."',
    );
  });
});
