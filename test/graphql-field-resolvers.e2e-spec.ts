import { INestApplication, Module, Type } from '@nestjs/common';
import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { Field, GraphQLModule, ID, ObjectType, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Test } from '@nestjs/testing';
import { IntrospectedToken, RequireActiveToken } from '@app/introspection';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';
import { authorizationServerForSuite } from './support/authorization-server';
import { ADAPTERS } from './support/demo-app';
import { apolloOptions, graphqlClient, introspectionAt } from './support/graphql';
import { bearer } from './support/http';
import { createApp, listen } from '../libs/introspection/test-support/listen';

// @RequireActiveToken() on GraphQL field resolvers (@ResolveField), which
// GraphQL runs without guards unless `fieldResolverEnhancers` includes
// 'guards': the boot fails rather than serve the field unprotected.

const clients = demoClients();
const REALM = 'fields';

@ObjectType()
class Account {
  @Field(() => ID)
  id!: string;
}

/** The guard on one field resolver (method level). */
@Resolver(() => Account)
class AccountResolver {
  @Query(() => Account)
  account(): Account {
    return { id: 'a1' };
  }

  @ResolveField(() => String, { nullable: true })
  @RequireActiveToken({ scopes: ['read:payments'] })
  secret(@IntrospectedToken('clientId') clientId: string): string {
    return `secret of ${clientId}`;
  }
}

@ObjectType()
class Vault {
  @Field(() => ID)
  id!: string;
}

/** The guard on the resolver class, which has a field resolver. */
@Resolver(() => Vault)
@RequireActiveToken()
class VaultResolver {
  @Query(() => Vault, { nullable: true })
  vault(): Vault {
    return { id: 'v1' };
  }

  @ResolveField(() => String, { nullable: true })
  combination(): string {
    return '4-8-15-16-23-42';
  }
}

/** An unguarded way to a Vault, so that only its field resolver's guard applies. */
@Resolver()
class LobbyResolver {
  @Query(() => Vault)
  lobbyVault(): Vault {
    return { id: 'v2' };
  }
}

@Resolver()
class PingResolver {
  @Query(() => String)
  ping(): string {
    return 'pong';
  }
}

const suite = authorizationServerForSuite();

const introspection = () => introspectionAt(suite.as, REALM);

/** The boot error for `where`: what is never applied, and where. */
const neverApplied = (where: string) =>
  'Invalid introspection configuration, option "fieldResolverEnhancers": ' +
  `@RequireActiveToken() on ${where}: it is a GraphQL field resolver ` +
  '(@ResolveField), on which GraphQL runs no guards unless told to. ' +
  "Set fieldResolverEnhancers: ['guards'] in GraphQLModule.forRoot(), " +
  'or move @RequireActiveToken() to the query or mutation that returns the type.';

describe.each(ADAPTERS)('@RequireActiveToken() on GraphQL field resolvers, on %s', (adapter) => {
  /** The error `app.init()` fails with for an app of `resolver` and `graphql`. */
  const bootError = async (resolver: Type, graphql: ReturnType<typeof GraphQLModule.forRoot>) => {
    const moduleRef = await Test.createTestingModule({
      imports: [introspection(), graphql],
      providers: [resolver],
    }).compile();
    const app = createApp(moduleRef, adapter);
    try {
      await app.init();
    } catch (error) {
      return error as Error;
    } finally {
      await app.close();
    }
    throw new Error('expected the boot to fail, it succeeded');
  };

  describe("without fieldResolverEnhancers: ['guards']", () => {
    it('fails the boot, naming the field resolver and the option to set', async () => {
      const error = await bootError(AccountResolver, GraphQLModule.forRoot(apolloOptions(adapter)));
      expect(error.name).toBe('IntrospectionConfigurationError');
      expect(error.message).toBe(neverApplied('AccountResolver.secret is never applied'));
    });

    it('fails the boot for a guarded resolver class with a field resolver, with forRootAsync too', async () => {
      const error = await bootError(
        VaultResolver,
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          useFactory: () => apolloOptions(adapter, { fieldResolverEnhancers: ['interceptors'] }),
        }),
      );
      expect(error.name).toBe('IntrospectionConfigurationError');
      expect(error.message).toBe(neverApplied('VaultResolver is never applied to VaultResolver.combination'));
    });
  });

  it("checks only the resolvers a GraphQL endpoint serves: another endpoint's `include` may lack 'guards'", async () => {
    @Module({ providers: [PingResolver] })
    class PublicModule {}
    @Module({ imports: [introspection()], providers: [AccountResolver] })
    class AdminModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [
        PublicModule,
        AdminModule,
        GraphQLModule.forRoot<ApolloDriverConfig>(apolloOptions(adapter, { include: [PublicModule] })),
        GraphQLModule.forRoot<ApolloDriverConfig>(
          apolloOptions(adapter, {
            include: [AdminModule],
            path: '/admin',
            fieldResolverEnhancers: ['guards'],
          }),
        ),
      ],
    }).compile();
    const { app, url } = await listen(moduleRef, adapter);
    try {
      const answer = await graphqlClient(`${url}/admin`)('{ account { id secret } }');
      expect(answer.json<{ data: unknown }>().data).toEqual({ account: { id: 'a1', secret: null } });
    } finally {
      await app.close();
    }
  });

  describe("with fieldResolverEnhancers: ['guards']", () => {
    let app: INestApplication;
    let url: string;

    beforeAll(async () => {
      @Module({
        imports: [
          introspection(),
          GraphQLModule.forRoot<ApolloDriverConfig>(
            apolloOptions(adapter, { fieldResolverEnhancers: ['guards'] }),
          ),
        ],
        providers: [AccountResolver, VaultResolver, LobbyResolver],
      })
      class FieldsModule {}
      const moduleRef = await Test.createTestingModule({ imports: [FieldsModule] }).compile();
      ({ app, url } = await listen(moduleRef, adapter));
    });

    afterAll(async () => {
      await app?.close();
    });

    const query = (query: string, headers: Record<string, string> = {}) =>
      graphqlClient(`${url}/graphql`)(query, headers);

    it('refuses the protected field without a token, and still answers the unprotected ones', async () => {
      const answer = await query('{ account { id secret } }');
      expect(answer.headers['www-authenticate']).toBe(`Bearer realm="${REALM}"`);
      const body = answer.json<{ data: unknown; errors: Array<{ path: unknown; extensions: unknown }> }>();
      expect(body.data).toEqual({ account: { id: 'a1', secret: null } });
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0].path).toEqual(['account', 'secret']);
      expect(body.errors[0].extensions).toEqual({
        code: 'UNAUTHENTICATED',
        originalError: { statusCode: 401, error_description: 'A bearer token is required.' },
      });
    });

    it('resolves the protected field with an active token from the authorization server', async () => {
      const answer = await query('{ account { id secret } }', bearer(suite.readToken));
      expect(answer.status).toBe(200);
      expect(answer.json()).toEqual({
        data: { account: { id: 'a1', secret: `secret of ${clients.tokenClient.clientId}` } },
      });
    });

    it('guards the field resolvers of a resolver class decorated as a whole', async () => {
      const anonymous = await query('{ lobbyVault { id combination } }');
      const body = anonymous.json<{ data: unknown; errors: Array<{ path: unknown; extensions: unknown }> }>();
      expect(body.data).toEqual({ lobbyVault: { id: 'v2', combination: null } });
      expect(body.errors.map(({ path }) => path)).toEqual([['lobbyVault', 'combination']]);
      const authorized = await query('{ lobbyVault { id combination } }', bearer(suite.readToken));
      expect(authorized.json()).toEqual({
        data: { lobbyVault: { id: 'v2', combination: '4-8-15-16-23-42' } },
      });
    });
  });
});
