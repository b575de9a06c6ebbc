import { Controller, Get, HttpCode, INestApplication, Param, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IntrospectionModule, RequireActiveToken } from '@app/introspection';
import type { IntrospectionModuleOptions } from '@app/introspection';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';
import { TestAuthorizationServer } from './support/authorization-server';
import { ADAPTERS } from './support/demo-app';
import { bearer, send } from './support/http';
import { listen } from '../libs/introspection/test-support/listen';

// RFC 9470 step-up authentication against oidc-provider: the development
// server stamps client credentials tokens with the acr and auth_time asked
// for (X-Demo-Acr, X-Demo-Auth-Time) and puts them in its introspection
// answers, as it does for tokens of an interactive sign-in.

const clients = demoClients();
const MFA = 'urn:example:mfa';
const RESOURCE = 'https://api.example.com';
const METADATA = `${RESOURCE}/.well-known/oauth-protected-resource`;
const DESCRIPTION = {
  acrMissing:
    'The access token does not say how the user authenticated (acr); a stronger authentication is required.',
  acrWrong:
    'The user authenticated in a way this resource does not accept; a stronger authentication is required.',
  authTimeMissing:
    'The access token does not say when the user authenticated (auth_time); a new authentication is required.',
  tooOld: 'The user authenticated too long ago; a new authentication is required.',
};

@Controller('payments')
class PaymentsController {
  @Get()
  @RequireActiveToken({ scopes: ['read:payments'] })
  list(): { ok: boolean } {
    return { ok: true };
  }

  @Post(':id/approve')
  @HttpCode(200)
  @RequireActiveToken({ scopes: ['write:payments'], acrValues: [MFA], maxAge: '5m' })
  approve(@Param('id') id: string): { approved: string } {
    return { approved: id };
  }

  @Post(':id/refund')
  @RequireActiveToken({ acrValues: [MFA, 'urn:example:hwk'] })
  refund(@Param('id') id: string): { refunded: string } {
    return { refunded: id };
  }
}

@Controller('settings')
class SettingsController {
  // Only the module-wide defaults apply here.
  @Get()
  @RequireActiveToken()
  read(): { ok: boolean } {
    return { ok: true };
  }
}

let as: TestAuthorizationServer;

beforeAll(async () => {
  as = await TestAuthorizationServer.start();
});

afterAll(() => as?.stop());

/** A token for RESOURCE whose user authenticated with `acr` at `authTime` (seconds), as asked. */
function token(scope: string, { acr, authTime }: { acr?: string; authTime?: number } = {}): Promise<string> {
  return as.mintToken(scope, RESOURCE, clients.tokenClient, {
    ...(acr === undefined ? {} : { 'x-demo-acr': acr }),
    ...(authTime === undefined ? {} : { 'x-demo-auth-time': String(authTime) }),
  });
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function start(
  adapter: 'express' | 'fastify',
  options: Partial<IntrospectionModuleOptions> = {},
): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      IntrospectionModule.forRoot({
        endpoint: as.introspectionEndpoint,
        issuer: as.issuer,
        clientId: clients.introspectionClients.client_secret_basic.clientId,
        clientSecret: clients.introspectionClients.client_secret_basic.clientSecret,
        realm: 'api',
        resource: RESOURCE,
        resourceMetadata: true,
        cache: { ttl: '1m' },
        ...options,
      }),
    ],
    controllers: [PaymentsController, SettingsController],
  }).compile();
  return listen(moduleRef, adapter);
}

describe.each(ADAPTERS)('step-up authentication (RFC 9470) on %s', (adapter) => {
  let app: INestApplication;
  let url: string;
  const approve = (bearerToken: string) =>
    send(`${url}/payments/7/approve`, { method: 'POST', headers: bearer(bearerToken) });
  const challenge = (description: string, extra = '') =>
    `Bearer realm="api", error="insufficient_user_authentication", error_description="${description}"${extra}, acr_values="${MFA}", max_age="300", resource_metadata="${METADATA}"`;

  beforeAll(async () => {
    ({ app, url } = await start(adapter));
  });

  afterAll(() => app?.close());

  it('accepts a fresh authentication with the right acr', async () => {
    const answer = await approve(await token('write:payments', { acr: MFA, authTime: nowSeconds() }));
    expect(answer.status).toBe(200);
    expect(answer.json()).toStrictEqual({ approved: '7' });
  });

  it.each([
    ['missing', {}, DESCRIPTION.acrMissing],
    ['wrong', { acr: 'urn:example:password', authTime: nowSeconds() }, DESCRIPTION.acrWrong],
  ])(
    'answers an acr that is %s with 401 insufficient_user_authentication',
    async (_label, claims, description) => {
      const answer = await approve(await token('write:payments', claims));
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(challenge(description));
      expect(answer.json()).toMatchObject({
        error: 'insufficient_user_authentication',
        acr_values: MFA,
        max_age: 300,
      });
    },
  );

  it('answers a missing auth_time with 401 insufficient_user_authentication', async () => {
    // The development server sets auth_time whenever it sets acr: a token
    // without either goes to a route that requires a maximum age only.
    const { app: aged, url: agedUrl } = await start(adapter, { maxAge: '5m' });
    try {
      const answer = await send(`${agedUrl}/settings`, { headers: bearer(await token('read:payments')) });
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(
        `Bearer realm="api", error="insufficient_user_authentication", error_description="${DESCRIPTION.authTimeMissing}", max_age="300", resource_metadata="${METADATA}"`,
      );
    } finally {
      await aged.close();
    }
  });

  it('answers an authentication older than maxAge with 401 insufficient_user_authentication', async () => {
    const answer = await approve(await token('write:payments', { acr: MFA, authTime: nowSeconds() - 600 }));
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(challenge(DESCRIPTION.tooOld));
  });

  it('is 401 before 403: a token lacking both the scope and the acr is asked to step up, scope included', async () => {
    const answer = await approve(await token('read:payments'));
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(
      challenge(DESCRIPTION.acrMissing, ', scope="write:payments"'),
    );
  });

  it('answers a stepped-up token lacking the scope with 403 insufficient_scope', async () => {
    const answer = await approve(await token('read:payments', { acr: MFA, authTime: nowSeconds() }));
    expect(answer.status).toBe(403);
    expect(answer.headers['www-authenticate']).toBe(
      `Bearer realm="api", error="insufficient_scope", error_description="The access token lacks a required scope.", scope="write:payments", resource_metadata="${METADATA}"`,
    );
  });

  it('names every accepted acr value, and no max_age for a route without one', async () => {
    const answer = await send(`${url}/payments/7/refund`, {
      method: 'POST',
      headers: bearer(await token('read:payments')),
    });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(
      `Bearer realm="api", error="insufficient_user_authentication", error_description="${DESCRIPTION.acrMissing}", acr_values="${MFA} urn:example:hwk", resource_metadata="${METADATA}"`,
    );
  });

  it('evaluates the requirements per request: the cached answer still serves routes without step-up', async () => {
    const plain = await token('read:payments write:payments');
    const before = await as.introspectionCount();
    expect((await approve(plain)).status).toBe(401);
    expect((await send(`${url}/payments`, { headers: bearer(plain) })).status).toBe(200);
    expect((await approve(plain)).status).toBe(401);
    expect(await as.introspectionCount()).toBe(before + 1);
  });

  describe('module-wide defaults (acrValues, maxAge)', () => {
    let defaults: INestApplication;
    let defaultsUrl: string;

    beforeAll(async () => {
      ({ app: defaults, url: defaultsUrl } = await start(adapter, { acrValues: [MFA], maxAge: 60 }));
    });

    afterAll(() => defaults?.close());

    it('apply to routes that set none', async () => {
      const answer = await send(`${defaultsUrl}/settings`, { headers: bearer(await token('read:payments')) });
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(
        `Bearer realm="api", error="insufficient_user_authentication", error_description="${DESCRIPTION.acrMissing}", acr_values="${MFA}", max_age="60", resource_metadata="${METADATA}"`,
      );
      const stepped = await token('read:payments', { acr: MFA, authTime: nowSeconds() });
      expect((await send(`${defaultsUrl}/settings`, { headers: bearer(stepped) })).status).toBe(200);
    });

    it("give way to the route's own", async () => {
      // The route's maxAge (5m) replaces the default (60 s).
      const twoMinutes = await token('write:payments', { acr: MFA, authTime: nowSeconds() - 120 });
      expect(
        (await send(`${defaultsUrl}/payments/7/approve`, { method: 'POST', headers: bearer(twoMinutes) }))
          .status,
      ).toBe(200);
      expect((await send(`${defaultsUrl}/settings`, { headers: bearer(twoMinutes) })).status).toBe(401);
    });
  });
});
