import type { LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IntrospectionModule } from '../introspection.module';
import { IntrospectionTestingModule } from '../testing/introspection-testing.module';

/** A logger that keeps the warnings it is given. */
class KeptWarnings implements LoggerService {
  readonly warnings: string[] = [];
  log(): void {}
  error(): void {}
  warn(message: unknown): void {
    this.warnings.push(String(message));
  }
}

async function warningsAtBoot(
  imports: Parameters<typeof Test.createTestingModule>[0]['imports'],
): Promise<string[]> {
  const moduleRef = await Test.createTestingModule({ imports }).compile();
  const app = moduleRef.createNestApplication();
  const logger = new KeptWarnings();
  app.useLogger(logger);
  await app.init();
  await app.close();
  return logger.warnings.filter((warning) => warning.includes('has no audience'));
}

const options = { endpoint: 'https://as.invalid/introspect', clientId: 'c', clientSecret: 's' };

describe('a registration without audience', () => {
  it('is warned about once at boot, naming the setting', async () => {
    expect(await warningsAtBoot([IntrospectionModule.forRoot(options)])).toEqual([
      "The introspection module has no audience: tokens its authorization server issued for other APIs are accepted too, unless a route sets its own. Set audience (INTROSPECTION_AUDIENCE) or resource (INTROSPECTION_RESOURCE) to this API's identifier.",
    ]);
  });

  it('names a named registration, and says nothing for one with an audience', async () => {
    const warnings = await warningsAtBoot([
      IntrospectionModule.forRoot({ ...options, audience: 'orders-api' }),
      IntrospectionModule.forRoot({ ...options, name: 'partners' }),
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^The "partners" registration has no audience/);
  });

  it('is not warned about when resource stands in for the audience (RFC 8707)', async () => {
    expect(
      await warningsAtBoot([
        IntrospectionModule.forRoot({ ...options, resource: 'https://api.example.com' }),
      ]),
    ).toEqual([]);
  });

  it('is not warned about in the testing kit', async () => {
    expect(await warningsAtBoot([IntrospectionTestingModule.forRoot({ tokens: {} })])).toEqual([]);
  });
});
