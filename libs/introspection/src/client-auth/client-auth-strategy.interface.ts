import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';

/**
 * The parts of an introspection request a client authentication strategy may
 * add to. A strategy adds credentials one way only: a header *or* body
 * parameters, never both (RFC 6749 §2.3).
 */
export interface ClientAuthRequest {
  /** The introspection endpoint URL the request goes to. */
  readonly endpoint: string;
  /** Request headers; add e.g. `Authorization`. */
  readonly headers: Record<string, string>;
  /** The form body; add e.g. `client_id` and `client_secret`. */
  readonly body: URLSearchParams;
}

/**
 * How this API authenticates itself at the introspection endpoint. One
 * implementation per method name, selected by the `endpointAuthMethod` option.
 *
 * Register your own with `IntrospectionModule.forRoot(options, )`'s
 * `clientAuthStrategies` extra; it is an ordinary provider and may inject
 * what the module can see (e.g. {@link InjectIntrospectionOptions}).
 *
 * @example
 * @Injectable()
 * export class ApiKeyStrategy implements ClientAuthStrategy {
 *   readonly method = 'api_key';
 *   authenticate(request: ClientAuthRequest, options: ResolvedIntrospectionOptions) {
 *     request.headers['X-Api-Key'] = options.clientSecret!;
 *   }
 * }
 */
export interface ClientAuthStrategy {
  /** The `endpointAuthMethod` value this strategy implements, e.g. `client_secret_basic`. */
  readonly method: string;

  /**
   * Called once at boot, for the configured method only: check that the
   * options carry what this method needs and prepare what is costly (e.g.
   * import a key), so that nothing of the kind happens per request.
   * @throws IntrospectionConfigurationError naming the missing or bad option
   */
  init?(options: ResolvedIntrospectionOptions): void | Promise<void>;

  /**
   * Adds client credentials to one outgoing request. Called for every
   * request (and every retry), so per-request values such as a fresh
   * assertion `jti` belong here.
   */
  authenticate(request: ClientAuthRequest, options: ResolvedIntrospectionOptions): void | Promise<void>;

  /**
   * Called when the endpoint answered HTTP 401 to a request this strategy
   * authenticated (`request` as `authenticate()` left it). Return `true` when
   * the credentials may have gone stale and were renewed (e.g. a cached access
   * token): the request is then built again, authenticated with a new call
   * to `authenticate()` and sent once more. Once: a second 401 is final.
   * Return `false`, or leave the hook out, and the 401 is reported as a
   * rejection of the client credentials (the guard answers 502).
   *
   * Concurrent requests may report the same stale credentials: renew once,
   * not once per call.
   */
  onUnauthorized?(
    request: ClientAuthRequest,
    options: ResolvedIntrospectionOptions,
  ): boolean | Promise<boolean>;

  /**
   * What to check when the server rejects this method's credentials, added
   * to the error that is logged with the 502, e.g. `check that the server
   * holds the public key "k1" for client "api"`. Names settings and public
   * values only, never a secret.
   */
  rejectionHint?(options: ResolvedIntrospectionOptions): string | undefined;
}
