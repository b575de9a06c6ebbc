import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { FormPostClient } from '../http/form-post.client';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { ClientAuthRequest, ClientAuthStrategy } from './client-auth-strategy.interface';
import { ClientAuthStrategyRegistry } from './client-auth-strategy.registry';
import { withRejectionHint } from './rejection-hint';
import { parseTokenResponse } from './token-response.parser';

/** A token is renewed this long before it expires, or a tenth of its lifetime if that is shorter. */
const RENEWAL_MARGIN_MS = 30_000;

/**
 * After a 401 made us renew the token, a 401 for the new token within this
 * time is final instead of renewing again: a server that refuses fresh
 * tokens must not turn every introspection into a token request.
 */
const RENEWAL_AFTER_REFUSAL_COOLDOWN_MS = 30_000;

// RFC 6750 §2.1 b64token.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

interface CachedToken {
  /** The `Authorization` header value. */
  readonly header: string;
  /** Epoch milliseconds from which the token is renewed before use. */
  readonly renewAt: number;
}

interface TokenRequestSettings {
  readonly strategy: ClientAuthStrategy;
  /** The token endpoint URL. */
  readonly endpoint: string;
  /** The module options as the token request sees them: its endpoint and method. */
  readonly options: ResolvedIntrospectionOptions;
}

/**
 * `bearer`: authenticates at the introspection endpoint with an access token
 * (`Authorization: Bearer`, RFC 6750 §2.1) instead of client credentials, as
 * some servers (Janssen, Connect2id) allow or require.
 *
 * The token is either fixed (`bearerToken`) or, better, obtained by the
 * module with the `client_credentials` grant at `tokenEndpoint`,
 * authenticated with `tokenEndpointAuthMethod` (any other registered method).
 * It is cached until shortly before it expires; concurrent requests share one
 * token request, and an answer of 401 renews it once.
 *
 * @example
 * IntrospectionModule.forRoot({
 *   endpoint, clientId: 'orders-api', clientSecret,
 *   endpointAuthMethod: 'bearer',
 *   tokenEndpoint: 'https://as.example.com/token',
 * })
 */
@Injectable()
export class BearerTokenStrategy implements ClientAuthStrategy {
  readonly method = 'bearer';
  private staticHeader?: string;
  private tokenRequest?: TokenRequestSettings;
  private current?: CachedToken;
  private pending?: Promise<CachedToken>;
  private lastRenewalAfterRefusal = -Infinity;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly http: FormPostClient,
  ) {}

  async init(options: ResolvedIntrospectionOptions): Promise<void> {
    const { bearerToken, tokenEndpoint } = options;
    if (bearerToken !== undefined && tokenEndpoint !== undefined) {
      throw new IntrospectionConfigurationError(
        'bearerToken',
        'set either bearerToken (a fixed token) or tokenEndpoint (a token the module obtains and renews), not both.',
      );
    }
    if (bearerToken !== undefined) {
      if (!B64TOKEN.test(bearerToken)) {
        throw new IntrospectionConfigurationError(
          'bearerToken',
          'is not a bearer token: only the characters of RFC 6750 §2.1 may be sent.',
        );
      }
      this.staticHeader = `Bearer ${bearerToken}`;
      return;
    }
    if (tokenEndpoint === undefined) {
      throw new IntrospectionConfigurationError(
        'tokenEndpoint',
        'is required by the bearer method: the token endpoint URL where the module obtains its access token with the client_credentials grant (or set bearerToken to a fixed token).',
      );
    }
    this.tokenRequest = await this.tokenRequestSettings(options, tokenEndpoint);
  }

  async authenticate(request: ClientAuthRequest): Promise<void> {
    request.headers['Authorization'] = this.staticHeader ?? (await this.accessToken()).header;
  }

  onUnauthorized(request: ClientAuthRequest): boolean {
    if (this.staticHeader !== undefined) {
      return false;
    }
    const refused = request.headers['Authorization'];
    if (this.current !== undefined && this.current.header === refused) {
      const now = Date.now();
      if (now - this.lastRenewalAfterRefusal < RENEWAL_AFTER_REFUSAL_COOLDOWN_MS) {
        return false;
      }
      this.lastRenewalAfterRefusal = now;
      this.current = undefined;
    }
    // Either the refused token was just dropped, or a concurrent request has
    // renewed it already: the retry uses (or waits for) the new one.
    return true;
  }

  rejectionHint(options: ResolvedIntrospectionOptions): string {
    if (this.staticHeader !== undefined) {
      return 'the introspection endpoint refused bearerToken: check that it is current and may call the endpoint.';
    }
    const scope = options.tokenScope === undefined ? '' : ` with scope "${options.tokenScope}"`;
    return `the introspection endpoint refused a fresh access token of client "${options.clientId}"${scope} from tokenEndpoint: check that such tokens may call it (tokenScope).`;
  }

  private async tokenRequestSettings(
    options: ResolvedIntrospectionOptions,
    tokenEndpoint: string,
  ): Promise<TokenRequestSettings> {
    // Looked up here rather than injected: the registry holds this strategy.
    const registry = this.moduleRef.get(ClientAuthStrategyRegistry, { strict: true });
    const method = options.tokenEndpointAuthMethod;
    const strategy = registry.get(method);
    if (strategy === undefined) {
      throw new IntrospectionConfigurationError(
        'tokenEndpointAuthMethod',
        `"${method}" is not a registered method; registered: ${registry
          .methods()
          .filter((name) => name !== this.method)
          .join(', ')}.`,
      );
    }
    if (strategy === this) {
      throw new IntrospectionConfigurationError(
        'tokenEndpointAuthMethod',
        'cannot be "bearer": the token request needs client credentials, e.g. client_secret_basic or private_key_jwt.',
      );
    }
    // The token request's strategy sees its own endpoint and method, so its
    // checks and messages (and a JWT assertion's audience rules) apply to it.
    const tokenOptions: ResolvedIntrospectionOptions = {
      ...options,
      endpoint: tokenEndpoint,
      endpointAuthMethod: method,
    };
    await strategy.init?.(tokenOptions);
    return { strategy, endpoint: tokenEndpoint, options: tokenOptions };
  }

  /** The cached token, or a new one; concurrent callers share one token request. */
  private accessToken(): Promise<CachedToken> | CachedToken {
    if (this.current !== undefined && Date.now() < this.current.renewAt) {
      return this.current;
    }
    this.pending ??= this.requestToken()
      .then((token) => (this.current = token))
      .finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** RFC 6749 §4.4: a client credentials grant at the token endpoint. */
  private async requestToken(): Promise<CachedToken> {
    const { strategy, endpoint, options } = this.tokenRequest!;
    const request: ClientAuthRequest = {
      endpoint,
      headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    };
    if (options.tokenScope !== undefined) {
      request.body.set('scope', options.tokenScope);
    }
    await strategy.authenticate(request, options);
    // expires_in counts from the server's answer; counting from before the
    // request errs on the early side.
    const sentAt = Date.now();
    const response = await this.http.post(
      endpoint,
      request.headers,
      request.body.toString(),
      'token endpoint',
    );
    let token;
    try {
      token = parseTokenResponse(response, options.endpointAuthMethod);
    } catch (error) {
      throw withRejectionHint(error, strategy, options);
    }
    const { accessToken, expiresInMs } = token;
    return {
      header: `Bearer ${accessToken}`,
      renewAt:
        expiresInMs === undefined
          ? Infinity
          : sentAt + expiresInMs - Math.min(RENEWAL_MARGIN_MS, expiresInMs / 10),
    };
  }
}
