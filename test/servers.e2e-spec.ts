import { Controller, Get, INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { decodeJwt } from 'jose';
import {
  IntrospectedToken,
  IntrospectionModule,
  RequireActiveToken,
  ROUTE_BY_ISSUER,
} from '@app/introspection';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';
import { TestAuthorizationServer } from './support/authorization-server';
import { ADAPTERS } from './support/demo-app';
import { bearer, send } from './support/http';
import { listen } from '../libs/introspection/test-support/listen';

// Two oidc-provider instances trusted by one application: the default
// registration (employees) and a named one (partners), plus issuer routing.

const clients = demoClients();
const JWT_RESOURCE = `${clients.audience}:jwt`;

@Controller()
class SitesController {
  @Get('employees')
  @RequireActiveToken()
  employees(@IntrospectedToken('iss') iss: string | undefined): { iss?: string } {
    return { iss };
  }

  @Get('partners')
  @RequireActiveToken({ server: 'partners' })
  partners(): { ok: boolean } {
    return { ok: true };
  }

  @Get('anyone')
  @RequireActiveToken({ server: ROUTE_BY_ISSUER })
  anyone(@IntrospectedToken('clientId') clientId: string): { clientId: string } {
    return { clientId };
  }
}

let employeesAs: TestAuthorizationServer;
let partnersAs: TestAuthorizationServer;

beforeAll(async () => {
  [employeesAs, partnersAs] = await Promise.all([
    TestAuthorizationServer.start(),
    TestAuthorizationServer.start(),
  ]);
});

afterAll(async () => {
  await Promise.all([employeesAs?.stop(), partnersAs?.stop()]);
});

const registration = (
  as: TestAuthorizationServer,
  realm: string,
  method: 'client_secret_basic' | 'client_secret_jwt' = 'client_secret_basic',
) => ({
  endpoint: as.introspectionEndpoint,
  issuer: as.issuer,
  clientId: clients.introspectionClients[method].clientId,
  clientSecret: clients.introspectionClients[method].clientSecret,
  endpointAuthMethod: method,
  realm,
});

describe.each(ADAPTERS)('several authorization servers on %s', (adapter) => {
  let app: INestApplication;
  let url: string;
  const get = (path: string, token: string) => send(`${url}${path}`, { headers: bearer(token) });
  const counts = async () => [await employeesAs.introspectionCount(), await partnersAs.introspectionCount()];

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot(registration(employeesAs, 'employees')),
        // The named registration authenticates with a JWT assertion: its own
        // strategies, with its own issuer as the assertion's audience.
        IntrospectionModule.forRoot({
          name: 'partners',
          ...registration(partnersAs, 'partners', 'client_secret_jwt'),
        }),
      ],
      controllers: [SitesController],
    }).compile();
    ({ app, url } = await listen(moduleRef, adapter));
  });

  afterAll(() => app?.close());

  it("accepts each server's tokens on its own routes only", async () => {
    const employeeToken = await employeesAs.mintToken();
    const partnerToken = await partnersAs.mintToken();
    expect((await get('/employees', employeeToken)).status).toBe(200);
    expect((await get('/partners', partnerToken)).status).toBe(200);

    const crossed = await get('/partners', employeeToken);
    expect(crossed.status).toBe(401);
    expect(crossed.headers['www-authenticate']).toBe(
      'Bearer realm="partners", error="invalid_token", error_description="The access token is not active."',
    );
    expect((await get('/employees', partnerToken)).headers['www-authenticate']).toBe(
      'Bearer realm="employees", error="invalid_token", error_description="The access token is not active."',
    );
  });

  it("signs the named registration's client assertions for its own issuer, a fresh jti each time", async () => {
    const partnersJwtClient = clients.introspectionClients.client_secret_jwt.clientId;
    const from = (await partnersAs.requests()).length;
    const token = await partnersAs.mintToken();
    expect((await get('/partners', token)).status).toBe(200);
    expect((await get('/partners', token)).status).toBe(200);
    const assertions = (await partnersAs.requests())
      .slice(from)
      .filter((request) => request.path === '/token/introspection')
      .map((request) => new URLSearchParams(request.body).get('client_assertion'));
    expect(assertions).toHaveLength(2);
    const claims = assertions.map((assertion) => decodeJwt(assertion!));
    for (const claim of claims) {
      expect(claim).toMatchObject({ iss: partnersJwtClient, sub: partnersJwtClient, aud: partnersAs.issuer });
    }
    expect(claims[0].jti).not.toBe(claims[1].jti);
    expect(partnersAs.issuer).not.toBe(employeesAs.issuer);
  });

  describe('issuer routing', () => {
    it('asks the server that issued a JWT access token, found by its iss', async () => {
      // The test server introspects its JWT access tokens (see
      // oidc-test-server.mjs), so each token is accepted by the registration
      // of its issuer; the servers' introspection counts show which was asked.
      const employeeJwt = await employeesAs.mintToken('read:payments', JWT_RESOURCE);
      const partnerJwt = await partnersAs.mintToken('read:payments', JWT_RESOURCE);
      const before = await counts();
      expect((await get('/anyone', employeeJwt)).status).toBe(200);
      expect(await counts()).toEqual([before[0] + 1, before[1]]);
      expect((await get('/anyone', partnerJwt)).status).toBe(200);
      expect(await counts()).toEqual([before[0] + 1, before[1] + 1]);
    });

    it('refuses a JWT from an issuer no registration declares, without introspecting', async () => {
      const payload = Buffer.from(JSON.stringify({ iss: 'https://evil.example', sub: 'x' })).toString(
        'base64url',
      );
      const before = await counts();
      const answer = await get('/anyone', `eyJhbGciOiJub25lIn0.${payload}.c2ln`);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(
        'Bearer realm="employees", error="invalid_token", error_description="The access token was not issued by a trusted authorization server."',
      );
      expect(await counts()).toEqual(before);
    });

    it('sends a token that is not a JWT to the default registration', async () => {
      expect((await get('/anyone', await employeesAs.mintToken())).status).toBe(200);
      expect((await get('/anyone', await partnersAs.mintToken())).status).toBe(401);
    });
  });
});
