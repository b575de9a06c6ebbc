import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Controller, Get, INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import * as introspection from '@app/introspection';
import type { IntrospectionResult } from '@app/introspection';
import {
  IntrospectedToken,
  IntrospectionService,
  IntrospectionUnavailableError,
  RequireActiveToken,
} from '@app/introspection';
import { IntrospectionTestingModule, TestingIntrospectionService } from '@app/introspection/testing';
import { httpRequest } from '../../test-support/http-request';
import { listen } from '../../test-support/listen';

// The controller test the README shows: a user's controller, tested with the
// kit instead of an authorization server, on both HTTP adapters.

@Controller('payments')
@RequireActiveToken({ scopes: ['payments:read'] })
class PaymentsController {
  @Get()
  list(@IntrospectedToken('sub') sub: string): { owner: string } {
    return { owner: sub };
  }

  @Get('refunds')
  @RequireActiveToken({ scopes: ['payments:refund'], audience: 'payments-api' })
  refunds(@IntrospectedToken() token: IntrospectionResult): { scopes: readonly string[] } {
    return { scopes: token.scopes };
  }
}

describe.each(['express', 'fastify'] as const)('IntrospectionTestingModule on %s', (adapter) => {
  let app: INestApplication;
  let url: string;
  let introspector: TestingIntrospectionService;

  const get = (path: string, token?: string) =>
    httpRequest(`${url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionTestingModule.forRoot({
          realm: 'payments',
          tokens: {
            alice: { active: true, scope: 'payments:read', sub: 'alice', aud: 'payments-api' },
            refunder: { active: true, scope: 'payments:read payments:refund', aud: 'payments-api' },
            elsewhere: { active: true, scope: 'payments:read payments:refund', aud: 'other-api' },
            expired: { active: true, scope: 'payments:read', exp: 1_000_000 },
            revoked: { active: false },
            malformed: { active: true, scope: 42 },
          },
          answer: (token) => {
            if (token === 'outage') {
              throw new IntrospectionUnavailableError('the test says so');
            }
            return token.startsWith('robot')
              ? { active: true, scope: 'payments:read', sub: token }
              : undefined;
          },
        }),
      ],
      controllers: [PaymentsController],
    }).compile();
    ({ app, url } = await listen(moduleRef, adapter));
    introspector = app.get(TestingIntrospectionService);
  });

  afterAll(() => app.close());

  it('lets a declared active token through and hands its claims to the handler', async () => {
    const answer = await get('/payments', 'alice');
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ owner: 'alice' });
  });

  it('answers tokens that are not declared with the answer function', async () => {
    const answer = await get('/payments', 'robot-7');
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ owner: 'robot-7' });
  });

  it('rejects undeclared tokens as inactive, with the production challenge', async () => {
    const answer = await get('/payments', 'unknown');
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(
      'Bearer realm="payments", error="invalid_token", error_description="The access token is not active."',
    );
  });

  it('applies the requirements of the route exactly as in production', async () => {
    expect((await get('/payments')).headers['www-authenticate']).toBe('Bearer realm="payments"');
    expect((await get('/payments', 'revoked')).status).toBe(401);
    expect((await get('/payments', 'expired')).json()).toMatchObject({
      error: 'invalid_token',
      error_description: 'The access token has expired.',
    });
    const forbidden = await get('/payments/refunds', 'alice');
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers['www-authenticate']).toBe(
      'Bearer realm="payments", error="insufficient_scope", error_description="The access token lacks a required scope.", scope="payments:refund"',
    );
    expect((await get('/payments/refunds', 'elsewhere')).status).toBe(401);
    const allowed = await get('/payments/refunds', 'refunder');
    expect(allowed.status).toBe(200);
    expect(allowed.json()).toEqual({ scopes: ['payments:read', 'payments:refund'] });
  });

  it('fails closed like production when the answer is an outage or malformed', async () => {
    expect((await get('/payments', 'outage')).status).toBe(503);
    expect((await get('/payments', 'malformed')).status).toBe(502);
  });

  it('revokes a token during the test and records what was introspected', async () => {
    introspector.setToken('to-revoke', { active: true, scope: 'payments:read' });
    expect((await get('/payments', 'to-revoke')).status).toBe(200);
    introspector.setToken('to-revoke', { active: false });
    expect((await get('/payments', 'to-revoke')).status).toBe(401);
    expect(introspector.introspectedTokens.filter((token) => token === 'to-revoke')).toHaveLength(2);
  });

  it('hands out deeply frozen results like production, leaving the declared answer alone', async () => {
    const declared = { active: true, scope: 'payments:read', ext: { roles: ['user'] } };
    introspector.setToken('frozen', declared);
    const result = await introspector.introspect('frozen');
    expect(() => (result.scopes as string[]).push('admin')).toThrow(TypeError);
    expect(() => (result.claims.ext as { roles: string[] }).roles.push('admin')).toThrow(TypeError);
    expect(Object.isFrozen(declared) || Object.isFrozen(declared.ext)).toBe(false);
    declared.ext.roles.push('admin');
    expect((await introspector.introspect('frozen')).claims.ext).toEqual({ roles: ['user', 'admin'] });
    expect(result.claims.ext).toEqual({ roles: ['user'] });
  });

  it('is what IntrospectionService resolves to', () => {
    expect(app.get(IntrospectionService)).toBe(introspector);
  });
});

describe('IntrospectionTestingModule wiring', () => {
  it('validates options like production: a bad option fails the boot, naming it', async () => {
    await expect(
      Test.createTestingModule({
        imports: [IntrospectionTestingModule.forRoot({ clockTolerance: '-1s' })],
      }).compile(),
    ).rejects.toThrow(/clockTolerance/);
  });

  it('is global with isGlobal, so feature modules need not import it', async () => {
    @Module({ controllers: [PaymentsController] })
    class PaymentsModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionTestingModule.forRoot({ isGlobal: true, tokens: { t: { active: true } } }),
        PaymentsModule,
      ],
    }).compile();
    expect(moduleRef.get(IntrospectionService)).toBeInstanceOf(TestingIntrospectionService);
    await moduleRef.close();
  });

  it('stands in for a named registration next to the default one', async () => {
    @Controller('partners')
    @RequireActiveToken({ server: 'partners' })
    class PartnersController {
      @Get()
      get(@IntrospectedToken('sub') sub: string): { sub: string } {
        return { sub };
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionTestingModule.forRoot({ tokens: { employee: { active: true, sub: 'e' } } }),
        IntrospectionTestingModule.forRoot({
          name: 'partners',
          realm: 'partners',
          tokens: { partner: { active: true, sub: 'p' } },
        }),
      ],
      controllers: [PartnersController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const as = (token: string) =>
        httpRequest(`${url}/partners`, { headers: { authorization: `Bearer ${token}` } });
      expect((await as('partner')).json()).toEqual({ sub: 'p' });
      const refused = await as('employee');
      expect(refused.status).toBe(401);
      expect(refused.headers['www-authenticate']).toMatch(/^Bearer realm="partners", error="invalid_token"/);
    } finally {
      await app.close();
    }
  });

  it('replaces the introspector of a whole application through overrideProvider', async () => {
    @Module({
      imports: [
        introspection.IntrospectionModule.forRoot({
          endpoint: 'https://as.invalid/',
          clientId: 'c',
          clientSecret: 's',
        }),
      ],
      controllers: [PaymentsController],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(IntrospectionService)
      .useValue(
        new TestingIntrospectionService({ bob: { active: true, scope: 'payments:read', sub: 'bob' } }),
      )
      .compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const answer = await httpRequest(`${url}/payments`, { headers: { authorization: 'Bearer bob' } });
      expect(answer.status).toBe(200);
      expect(answer.json()).toEqual({ owner: 'bob' });
    } finally {
      await app.close();
    }
  });
});

describe('the testing entry point', () => {
  it('is not part of the main entry point', () => {
    const exported = Object.keys(introspection);
    expect(exported).toContain('IntrospectionModule');
    expect(exported).not.toContain('IntrospectionTestingModule');
    expect(exported).not.toContain('TestingIntrospectionService');
  });

  it('is imported by no production file of the library', () => {
    const root = join(__dirname, '..');
    const offenders = sourceFiles(root)
      .filter((file) => !relative(root, file).startsWith('testing') && !file.endsWith('.spec.ts'))
      .filter((file) =>
        /from '\.{1,2}\/(?:[\w.-]+\/)*testing(?:\/[\w.-]+)?'/.test(readFileSync(file, 'utf8')),
      );
    expect(offenders).toEqual([]);
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}
