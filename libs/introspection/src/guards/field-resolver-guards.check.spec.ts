import { Field, ObjectType, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Test } from '@nestjs/testing';
import { RequireActiveToken } from '../decorators/require-active-token.decorator';
import { IntrospectionModule } from '../introspection.module';

// The check against GraphQL itself is end-to-end (test/graphql-field-resolvers.e2e-spec.ts);
// without @nestjs/graphql installed, see optional-peers.spec.ts.
describe('FieldResolverGuardsCheck', () => {
  @ObjectType()
  class Item {
    @Field()
    id!: string;
  }

  @Resolver(() => Item)
  class ItemResolver {
    @Query(() => Item)
    item(): Item {
      return { id: 'i1' };
    }

    @ResolveField(() => String)
    @RequireActiveToken()
    secret(): string {
      return 'secret';
    }
  }

  it('lets an application without GraphQLModule boot: no GraphQL server runs its resolvers', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot({ endpoint: 'https://as.invalid/', clientId: 'c', clientSecret: 's' }),
      ],
      providers: [ItemResolver],
    }).compile();
    await expect(moduleRef.init()).resolves.toBe(moduleRef);
    await moduleRef.close();
  });
});
