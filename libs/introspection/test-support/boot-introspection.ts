import { Test, TestingModule } from '@nestjs/testing';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { Clock } from '../src/interfaces/clock.interface';
import type { IntrospectionModuleOptions } from '../src/interfaces/introspection-options.interface';
import { INTROSPECTION_CLOCK } from '../src/introspection.constants';
import { IntrospectionModule } from '../src/introspection.module';
import { IntrospectionService } from '../src/introspection.service';

/**
 * Registers an `afterEach` that closes every module booted through the
 * returned function, which boots `IntrospectionModule.forRoot(options)`
 * (with `clock` as the module's clock, when given) and returns its service.
 *
 * @example
 * const introspector = introspectionBooter();
 * const service = await introspector({ endpoint, clientId: 'api', clientSecret });
 */
export function introspectionBooter(): (
  options: IntrospectionModuleOptions,
  clock?: Clock,
) => Promise<IntrospectionService> {
  const modules: TestingModule[] = [];
  afterEach(async () => {
    await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
  });
  return async (options, clock) => {
    const builder = Test.createTestingModule({ imports: [IntrospectionModule.forRoot(options)] });
    const moduleRef = await (
      clock ? builder.overrideProvider(INTROSPECTION_CLOCK).useValue(clock) : builder
    ).compile();
    modules.push(moduleRef);
    await moduleRef.init();
    return moduleRef.get(IntrospectionService);
  };
}

/** An RS256 key pair: the private key to sign with, the public JWK (with `kid`) to publish. */
export async function rs256SigningKey(kid: string): Promise<{ privateKey: CryptoKey; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid } };
}
