import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';

/** What, besides the token, decides what a cached answer proves. */
export interface CacheKeyScope {
  /** `json` or `jwt`: an instance that requires signed answers never takes unsigned ones. */
  readonly responseFormat: string;
  /** The configured endpoint; absent when it is discovered from `issuer`. */
  readonly endpoint?: string;
  readonly issuer?: string;
  readonly clientId: string;
  /** The algorithms a signed answer was verified with. */
  readonly responseSigningAlgorithms?: readonly string[];
  /** Extra request parameters (e.g. `resource`), which may change the server's answer. */
  readonly requestParams: Readonly<Record<string, string>>;
  /** Name of a named registration: its entries live under their own prefix. */
  readonly namespace?: string;
}

/** What an entry holds, all of it covered by its MAC. */
export interface CacheEntryContent {
  readonly claims: string;
  readonly storedAt: number;
  readonly expiresAt: number;
  /** When the introspection that produced the answer started (absent in entries of earlier versions). */
  readonly requestedAt?: number;
  readonly staleUntil?: number;
  readonly jwt?: string;
}

const FORMAT = 'v2';
const MAC_BYTES = 32;

/**
 * The cache secrets of one registration: the current one, which makes every
 * key and MAC written, then the previous ones (generations 1..n), accepted
 * for reads while a rotation is under way.
 *
 * - A key is `HMAC-SHA256(secret, scope, token type hint, token)`: without
 *   the secret, nobody can tell which key a token has, and the store never
 *   holds a bearer token.
 * - An entry's MAC covers its content, its key and the scope of the
 *   registration it belongs to, under the secret that made the key: an entry
 *   written by hand, altered, moved to another key or made by another
 *   configuration fails the check.
 * @internal
 */
export class CacheKeyring {
  /** The scope, serialized once: every key and MAC covers it. */
  private readonly context: string;
  private readonly prefix: string;

  constructor(
    private readonly secrets: readonly KeyObject[],
    scope: CacheKeyScope,
  ) {
    const params = Object.entries(scope.requestParams).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    // JSON arrays are self-delimiting: no two scopes serialize alike, nor run into what follows.
    this.context = JSON.stringify([
      FORMAT,
      scope.namespace ?? null,
      scope.responseFormat,
      scope.issuer ?? null,
      scope.endpoint ?? null,
      scope.clientId,
      scope.responseSigningAlgorithms ?? null,
      params,
    ]);
    this.prefix =
      scope.namespace === undefined
        ? `introspection:${FORMAT}:`
        : `introspection:${FORMAT}:${encodeURIComponent(scope.namespace)}:`;
  }

  /** How many secrets are accepted for reads: 1 + the previous ones. */
  get generations(): number {
    return this.secrets.length;
  }

  /** The key of `token` under the secret of `generation` (0: the current one). */
  key(token: string, tokenTypeHint: string, generation = 0): string {
    const digest = createHmac('sha256', this.secrets[generation])
      .update('key')
      .update(this.context)
      // A JSON string ends at its closing quote, so the token that follows cannot shift into it.
      .update(JSON.stringify(tokenTypeHint))
      .update(token)
      .digest('base64url');
    return this.prefix + digest;
  }

  /** The MAC of an entry stored under `key`, by the current secret. */
  sign(key: string, entry: CacheEntryContent): string {
    return this.mac(key, entry, 0).toString('base64url');
  }

  /** Whether `mac` is the MAC of `entry` under `key`, by the secret of `generation`. */
  verify(key: string, entry: CacheEntryContent, mac: string, generation: number): boolean {
    const given = Buffer.from(mac, 'base64url');
    return given.length === MAC_BYTES && timingSafeEqual(given, this.mac(key, entry, generation));
  }

  private mac(key: string, entry: CacheEntryContent, generation: number): Buffer {
    return createHmac('sha256', this.secrets[generation])
      .update('entry')
      .update(this.context)
      .update(
        JSON.stringify([
          key,
          entry.claims,
          entry.storedAt,
          entry.expiresAt,
          entry.staleUntil ?? null,
          entry.jwt ?? null,
          // Appended only when present: entries written before it existed still verify.
          ...(entry.requestedAt === undefined ? [] : [entry.requestedAt]),
        ]),
      )
      .digest();
  }
}
