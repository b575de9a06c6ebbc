import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { IntrospectionModule } from '@app/introspection';
import { demoClients } from '../../apps/demo/src/embedded-authorization-server';
import type { TestAuthorizationServer } from './authorization-server';
import { send } from './http';

const clients = demoClients();

/**
 * Apollo options for `adapter`. Fastify's request does not lead to its reply:
 * the context hands it to the guard for the WWW-Authenticate header (Express
 * needs nothing).
 */
export function apolloOptions(adapter: string, extra: Partial<ApolloDriverConfig> = {}): ApolloDriverConfig {
  return {
    driver: ApolloDriver,
    autoSchemaFile: true,
    ...(adapter === 'fastify' ? { context: (req: unknown, reply: unknown) => ({ req, reply }) } : {}),
    ...extra,
  };
}

/** The default registration, introspecting at `as` as the demo's client_secret_basic client. */
export function introspectionAt(
  as: TestAuthorizationServer,
  realm: string,
  extra: { wsAuthPayloadField?: string } = {},
) {
  return IntrospectionModule.forRoot({
    endpoint: as.introspectionEndpoint,
    clientId: clients.introspectionClients.client_secret_basic.clientId,
    clientSecret: clients.introspectionClients.client_secret_basic.clientSecret,
    audience: clients.audience,
    realm,
    ...extra,
  });
}

/** A function that POSTs a GraphQL `query` to `endpoint`, with `headers`. */
export const graphqlClient =
  (endpoint: string) =>
  (query: string, headers: Record<string, string> = {}) =>
    send(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    });
