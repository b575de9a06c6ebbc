import { Test, TestingModule } from '@nestjs/testing';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import {
  IntrospectionConfigurationError,
  IntrospectionResponseError,
  IntrospectionUnavailableError,
} from '../errors/introspection.errors';
import type { IntrospectionModuleOptions } from '../interfaces/introspection-options.interface';
import { IntrospectionModule } from '../introspection.module';
import { useFakeDate } from '../../../../test/support/fake-date';
import { BearerTokenStrategy } from './bearer-token.strategy';
import type { ClientAuthRequest } from './client-auth-strategy.interface';

const SECRET = 'token-client-secret';

interface TokenRequest {
  authorization?: string;
  body: URLSearchParams;
}

/** A local token endpoint: answers client_credentials requests with tok-1, tok-2, … */
class TokenServer {
  readonly requests: TokenRequest[] = [];
  expiresIn: number | undefined = 60;
  /** When set, answers wait until release() is called. */
  private held?: Array<() => void>;
  answer?: (res: ServerResponse) => void;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<TokenServer> {
    const server = createServer();
    const tokens = new TokenServer(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        tokens.requests.push({
          authorization: req.headers.authorization,
          body: new URLSearchParams(Buffer.concat(chunks).toString()),
        });
        const respond = () => tokens.respond(res);
        if (tokens.held) {
          tokens.held.push(respond);
        } else {
          respond();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return tokens;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/token`;
  }

  hold(): void {
    this.held = [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    held.forEach((respond) => respond());
  }

  private respond(res: ServerResponse): void {
    if (this.answer) {
      this.answer(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        access_token: `tok-${this.requests.length}`,
        token_type: 'Bearer',
        ...(this.expiresIn === undefined ? {} : { expires_in: this.expiresIn }),
      }),
    );
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('BearerTokenStrategy', () => {
  let tokens: TokenServer;
  let moduleRef: TestingModule | undefined;

  beforeEach(async () => {
    tokens = await TokenServer.start();
    // Only Date is faked: the HTTP round trips need real timers.
    useFakeDate();
    jest.setSystemTime(new Date('2030-01-01T00:00:00Z'));
  });

  afterEach(async () => {
    jest.useRealTimers();
    await moduleRef?.close();
    moduleRef = undefined;
    await tokens.close();
  });

  async function boot(extra: Partial<IntrospectionModuleOptions> = {}): Promise<BearerTokenStrategy> {
    const compiled = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot({
          endpoint: 'http://127.0.0.1:1/introspect',
          issuer: 'https://as.example.com',
          clientId: 'orders-api',
          clientSecret: SECRET,
          endpointAuthMethod: 'bearer',
          tokenEndpoint: tokens.url,
          ...extra,
        }),
      ],
    }).compile();
    // A module whose boot fails is left alone: closing it would boot it again.
    await compiled.init();
    moduleRef = compiled;
    return compiled.get(BearerTokenStrategy);
  }

  async function bootError(
    extra: Partial<IntrospectionModuleOptions>,
  ): Promise<IntrospectionConfigurationError> {
    const error = await boot(extra).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IntrospectionConfigurationError);
    return error as IntrospectionConfigurationError;
  }

  async function authorization(strategy: BearerTokenStrategy): Promise<string | undefined> {
    const request = newRequest();
    await strategy.authenticate(request);
    return request.headers['Authorization'];
  }

  const newRequest = (): ClientAuthRequest => ({ endpoint: '', headers: {}, body: new URLSearchParams() });
  const advance = (ms: number) => jest.setSystemTime(Date.now() + ms);

  it('obtains a token with client_credentials once and sends it as a bearer token', async () => {
    const strategy = await boot({ tokenScope: 'introspection' });
    expect(tokens.requests).toHaveLength(0); // nothing is fetched at boot
    for (let i = 0; i < 5; i++) {
      expect(await authorization(strategy)).toBe('Bearer tok-1');
    }
    expect(tokens.requests).toHaveLength(1);
    const [request] = tokens.requests;
    expect(request.authorization).toBe(`Basic ${Buffer.from(`orders-api:${SECRET}`).toString('base64')}`);
    expect(Object.fromEntries(request.body)).toEqual({
      grant_type: 'client_credentials',
      scope: 'introspection',
    });
  });

  it('shares one token request among concurrent requests', async () => {
    const strategy = await boot();
    tokens.hold();
    const pending = Promise.all([1, 2, 3, 4, 5].map(() => authorization(strategy)));
    await waitFor(() => tokens.requests.length === 1);
    tokens.release();
    expect(await pending).toEqual(Array(5).fill('Bearer tok-1'));
    expect(tokens.requests).toHaveLength(1);
  });

  it('renews once, shortly before the token expires', async () => {
    const strategy = await boot(); // expires_in 60: renewed 6 s early (a tenth of the lifetime)
    expect(await authorization(strategy)).toBe('Bearer tok-1');
    advance(53_000);
    expect(await authorization(strategy)).toBe('Bearer tok-1');
    advance(2_000);
    expect(await Promise.all([1, 2, 3].map(() => authorization(strategy)))).toEqual(
      Array(3).fill('Bearer tok-2'),
    );
    expect(tokens.requests).toHaveLength(2);
  });

  it('renews 30 s before expiry for long-lived tokens', async () => {
    tokens.expiresIn = 3600;
    const strategy = await boot();
    await authorization(strategy);
    advance(3_569_000);
    expect(await authorization(strategy)).toBe('Bearer tok-1');
    advance(2_000);
    expect(await authorization(strategy)).toBe('Bearer tok-2');
  });

  it('keeps a token without expires_in until the endpoint refuses it', async () => {
    tokens.expiresIn = undefined;
    const strategy = await boot();
    await authorization(strategy);
    advance(24 * 3600_000);
    expect(await authorization(strategy)).toBe('Bearer tok-1');
    expect(tokens.requests).toHaveLength(1);
  });

  describe('when the endpoint answers 401', () => {
    it('renews the refused token once, however many requests report it', async () => {
      const strategy = await boot();
      const refused = newRequest();
      await strategy.authenticate(refused);
      const retries = [1, 2, 3].map(() => strategy.onUnauthorized(refused));
      expect(retries).toEqual([true, true, true]);
      expect(await Promise.all([1, 2, 3].map(() => authorization(strategy)))).toEqual(
        Array(3).fill('Bearer tok-2'),
      );
      expect(tokens.requests).toHaveLength(2);
    });

    it('does not renew again when the fresh token is refused too, until a cool-down has passed', async () => {
      const strategy = await boot();
      const first = newRequest();
      await strategy.authenticate(first);
      expect(strategy.onUnauthorized(first)).toBe(true);
      const second = newRequest();
      await strategy.authenticate(second);
      expect(second.headers['Authorization']).toBe('Bearer tok-2');
      expect(strategy.onUnauthorized(second)).toBe(false);
      expect(await authorization(strategy)).toBe('Bearer tok-2');
      advance(31_000);
      expect(strategy.onUnauthorized(second)).toBe(true);
      expect(await authorization(strategy)).toBe('Bearer tok-3');
    });
  });

  describe('when the token endpoint fails', () => {
    const answerWith = (status: number, body: unknown) => {
      tokens.answer = (res) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
    };

    it('reports a rejected client, naming the method but not the secret', async () => {
      const strategy = await boot();
      answerWith(401, { error: 'invalid_client' });
      const error = await strategy.authenticate(newRequest()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IntrospectionResponseError);
      expect(error).toMatchObject({ reason: 'client_authentication_failed', status: 401 });
      expect((error as Error).message).toMatch(
        /token endpoint rejected this API's client authentication \(HTTP 401, error "invalid_client"\).*Method: client_secret_basic/,
      );
      expect((error as Error).message).not.toContain(SECRET);
    });

    it.each([
      ['HTTP 503', 503, { error: 'server_error' }, IntrospectionUnavailableError],
      ['a refused grant', 400, { error: 'invalid_scope' }, IntrospectionResponseError],
      ['a DPoP token', 200, { access_token: 'a', token_type: 'DPoP' }, IntrospectionResponseError],
      ['no access_token', 200, { token_type: 'Bearer' }, IntrospectionResponseError],
      [
        'a token that cannot be a header value',
        200,
        { access_token: 'a\r\nb', token_type: 'Bearer' },
        IntrospectionResponseError,
      ],
      [
        'a negative expires_in',
        200,
        { access_token: 'a', token_type: 'Bearer', expires_in: -1 },
        IntrospectionResponseError,
      ],
    ])('fails the request for %s, then tries again on the next one', async (_case, status, body, type) => {
      const strategy = await boot();
      answerWith(status, body);
      await expect(strategy.authenticate(newRequest())).rejects.toBeInstanceOf(type);
      tokens.answer = undefined;
      expect(await authorization(strategy)).toBe('Bearer tok-2');
    });
  });

  it('authenticates the token request with another registered method (private_key_jwt)', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const strategy = await boot({
      clientSecret: undefined,
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwtSigningProfile: { signatureAlgorithm: 'ES256', key: privateKey.export({ format: 'jwk' }) },
    });
    await authorization(strategy);
    const [request] = tokens.requests;
    expect(request.authorization).toBeUndefined();
    expect(decodeJwt(request.body.get('client_assertion')!)).toMatchObject({
      iss: 'orders-api',
      aud: 'https://as.example.com',
    });
  });

  it('sends a fixed bearerToken and never renews it', async () => {
    const strategy = await boot({ tokenEndpoint: undefined, bearerToken: 'fixed.token-1' });
    const request = newRequest();
    await strategy.authenticate(request);
    expect(request.headers['Authorization']).toBe('Bearer fixed.token-1');
    expect(strategy.onUnauthorized(request)).toBe(false);
    expect(tokens.requests).toHaveLength(0);
  });

  describe('refuses at boot', () => {
    it.each<[string, Partial<IntrospectionModuleOptions>, string, RegExp]>([
      [
        'neither bearerToken nor tokenEndpoint',
        { tokenEndpoint: undefined },
        'tokenEndpoint',
        /is required by the bearer method/,
      ],
      [
        'both bearerToken and tokenEndpoint',
        { bearerToken: 'abc' },
        'bearerToken',
        /either bearerToken .* or tokenEndpoint/,
      ],
      [
        'a bearerToken with characters a header cannot carry',
        { tokenEndpoint: undefined, bearerToken: 'a b' },
        'bearerToken',
        /RFC 6750/,
      ],
      [
        'tokenEndpointAuthMethod bearer',
        { tokenEndpointAuthMethod: 'bearer' },
        'tokenEndpointAuthMethod',
        /cannot be "bearer"/,
      ],
      [
        'an unknown tokenEndpointAuthMethod',
        { tokenEndpointAuthMethod: 'tls_client_auth' },
        'tokenEndpointAuthMethod',
        /"tls_client_auth" is not a registered method; registered: client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt\./,
      ],
      [
        'what the token request method lacks (a client secret)',
        { clientSecret: undefined },
        'clientSecret',
        /is required by the "client_secret_basic" client authentication method/,
      ],
    ])('%s', async (_case, extra, option, message) => {
      const error = await bootError(extra);
      expect(error.option).toBe(option);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain(SECRET);
    });
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(condition()).toBe(true);
}
