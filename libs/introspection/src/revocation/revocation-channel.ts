import { Logger, type LoggerService } from '@nestjs/common';
import { createClient } from '@redis/client';
import { type KeyObject, randomBytes } from 'node:crypto';
import { IntrospectionCacheError, IntrospectionError } from '../errors/introspection.errors';
import { type Clock, systemClock } from '../interfaces/clock.interface';
import type { RevocationFilter } from '../interfaces/revocation.interface';
import { claimKey, claimOnce } from './claim-once';
import { withDeadline } from './redis-deadline';
import type { RevocationMarker } from './revocation-cutoffs';
import { parseRevocationFilter } from './revocation-filter';
import {
  type DroppedRevocationMessage,
  type RevocationMessage,
  RevocationMessageSeal,
} from './revocation-message';

type RedisClient = ReturnType<typeof createClient>;

/** Options of {@link RevocationChannel}. @internal */
export interface RevocationChannelOptions {
  /** The Redis shared by the instances (`cache.url`). Never logged: it may hold a password. */
  readonly url: string;
  /**
   * The cache secrets: `cache.secret` first (seals every message), then
   * `cache.previousSecrets` (accepted while a rotation is under way).
   */
  readonly secrets: readonly KeyObject[];
  /** The name of a named registration: it gets its own channel and markers. */
  readonly namespace?: string;
  /** @default systemClock */
  readonly clock?: Clock;
  /**
   * How long Redis may take to confirm a connection, a subscription, a
   * publication, a load or a PING.
   * @default 1000
   */
  readonly timeoutMs?: number;
  /**
   * How often the subscriber connection is PINGed. A connection that died
   * silently makes the channel deaf within `livenessIntervalMs + timeoutMs`.
   * @default 1000
   */
  readonly livenessIntervalMs?: number;
  /**
   * The first delay before connecting again after a failure, doubled at
   * each failure in a row up to `maxReconnectDelayMs`.
   * @default 100
   */
  readonly reconnectDelayMs?: number;
  /** @default 5000 */
  readonly maxReconnectDelayMs?: number;
  /**
   * At most one warning per kind (dropped messages, deafness, a listener
   * that threw) within this interval.
   * @default 60000
   */
  readonly warningIntervalMs?: number;
  /** @default new Logger('RevocationChannel') */
  readonly logger?: Pick<LoggerService, 'warn' | 'log'>;
}

/** Where a delivered message comes from. @internal */
export type RevocationOrigin =
  /** Published by this instance (recognised by its random instance id). */
  | 'self'
  /** Published by another instance. */
  | 'peer'
  /** Read from the persisted markers when (re)subscribing. */
  | 'store';

/** An eviction delivered by the channel. @internal */
export interface RevocationEviction {
  /** The cache key to drop (a `CacheKeyring` key). */
  readonly key: string;
  readonly origin: RevocationOrigin;
}

/** A cut-off marker delivered by the channel. @internal */
export interface RevocationCutoff extends RevocationMarker {
  readonly origin: RevocationOrigin;
}

/** One connection attempt: its two clients, torn down together. */
interface Session {
  readonly subscriber: RedisClient;
  readonly commands: RedisClient;
  pingTimer?: NodeJS.Timeout;
}

type Listener<T> = (value: T) => void;

/**
 * The Redis pub/sub channel over which instances sharing a cache tell each
 * other about revocations, and the persisted cut-off markers.
 *
 * - Messages (`evict` a cache key, add a `cutoff` marker) are sealed with
 *   HMAC-SHA256 under the cache secret (see `RevocationMessageSeal`) and
 *   carry this instance's random id; others are dropped, counted, and
 *   reported in a rate-limited warning that quotes nothing of them.
 * - Markers are also kept in a sorted set per registration (score: their
 *   `keepUntil`, member: the sealed message; expired ones removed on every
 *   write and the key expiring with its last marker), so an instance that
 *   starts later or was deaf loads them. A sorted set, not a hash per
 *   filter: two instances writing markers for one filter at once cannot
 *   overwrite each other's (a lost update would un-revoke).
 * - `hearing` is true only while the subscription is confirmed and the
 *   markers were loaded after it: it turns false as soon as a client errs
 *   or ends or a PING (every `livenessIntervalMs`) is not answered within
 *   `timeoutMs`; then both connections are torn down and made again, with
 *   backoff, until subscribed and loaded. While deaf, messages may be lost:
 *   never serve an entry from memory then.
 * @internal
 */
export class RevocationChannel {
  /** This instance's id in the messages it seals. */
  readonly instance = randomBytes(16).toString('base64url');
  /** The pub/sub channel name. */
  readonly channel: string;
  private readonly markersKey: string;
  private readonly claimPrefix: string;
  private readonly seal: RevocationMessageSeal;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly livenessIntervalMs: number;
  private readonly reconnectDelayMs: number;
  private readonly maxReconnectDelayMs: number;
  private readonly warningIntervalMs: number;
  private readonly logger: Pick<LoggerService, 'warn' | 'log'>;
  private readonly evictListeners = new Set<Listener<RevocationEviction>>();
  private readonly cutoffListeners = new Set<Listener<RevocationCutoff>>();
  private readonly hearingListeners = new Set<Listener<boolean>>();
  private readonly droppedListeners = new Set<Listener<DroppedRevocationMessage>>();
  private readonly lastWarnings = new Map<string, number>();
  private session?: Session;
  private reconnectTimer?: NodeJS.Timeout;
  private failures = 0;
  private isHearing = false;
  private started?: Promise<void>;
  private closed = false;
  private droppedCount = 0;
  private droppedSinceWarning = 0;

  constructor(private readonly options: RevocationChannelOptions) {
    if (options.secrets.length === 0) {
      throw new IntrospectionError('RevocationChannel needs the cache secret.');
    }
    const namespace = options.namespace === undefined ? '@' : encodeURIComponent(options.namespace);
    // encodeURIComponent never yields '@' or ':', so no registration's names run into another's.
    const base = `introspection:revocation:v1:${namespace}`;
    this.channel = `${base}:messages`;
    this.markersKey = `${base}:cutoffs`;
    this.claimPrefix = `${base}:claim:`;
    this.seal = new RevocationMessageSeal(options.secrets, this.channel);
    this.clock = options.clock ?? systemClock;
    this.timeoutMs = options.timeoutMs ?? 1_000;
    this.livenessIntervalMs = options.livenessIntervalMs ?? 1_000;
    this.reconnectDelayMs = options.reconnectDelayMs ?? 100;
    this.maxReconnectDelayMs = options.maxReconnectDelayMs ?? 5_000;
    this.warningIntervalMs = options.warningIntervalMs ?? 60_000;
    this.logger = options.logger ?? new Logger(RevocationChannel.name);
  }

  /** Whether the subscription is confirmed live and the markers were loaded after it. */
  get hearing(): boolean {
    return this.isHearing;
  }

  /** How many messages were dropped (unauthenticated or malformed) since the start. */
  get dropped(): number {
    return this.droppedCount;
  }

  /**
   * Connects, subscribes and loads the markers (delivered to `onCutoff`
   * listeners with origin `store`). Resolves once the first attempt has
   * settled, whether `hearing` or not: it never rejects, and a failed
   * attempt is retried in the background.
   */
  start(): Promise<void> {
    this.started ??= this.connect();
    return this.started;
  }

  /**
   * Tells every instance (this one included, origin `self`) to drop the
   * cache entry under `key`.
   * @throws IntrospectionCacheError when Redis does not confirm within `timeoutMs`
   */
  async publishEvict(key: string): Promise<void> {
    const wire = this.seal.seal({ kind: 'evict', key }, this.instance);
    await this.command('publish an eviction', (redis) => redis.publish(this.channel, wire));
  }

  /**
   * Persists a cut-off marker, then tells every instance (this one
   * included, origin `self`), in one transaction. A marker whose
   * `keepUntil` has passed is neither persisted nor published. `keepUntil`
   * also becomes the key's expiry by Redis's clock: include the clock
   * tolerance between instances and Redis in it.
   * @throws IntrospectionError when `filter` is not a valid revocation filter
   * @throws IntrospectionCacheError when Redis does not confirm within `timeoutMs`
   */
  async publishCutoff(filter: RevocationFilter, before: number, keepUntil: number): Promise<void> {
    const parsed = parseRevocationFilter(filter);
    if (parsed === undefined || !Number.isFinite(before) || !Number.isFinite(keepUntil)) {
      throw new IntrospectionError(
        'A revocation cut-off needs a filter with at least one of sub, sid, clientId, jti (non-empty strings) and finite instants.',
      );
    }
    const now = this.clock.now();
    if (keepUntil <= now) {
      // Past its keepUntil a marker cuts off nothing (and would expire the key of the live ones).
      return;
    }
    const message: RevocationMessage = { kind: 'cutoff', filter: parsed, before, keepUntil };
    const wire = this.seal.seal(message, this.instance);
    await this.command('persist a cut-off marker', (redis) =>
      redis
        .multi()
        .zAdd(this.markersKey, { score: keepUntil, value: wire })
        .zRemRangeByScore(this.markersKey, '-inf', now)
        // No expiry yet: set one; a later one: extend it. The key goes with its last marker.
        .pExpireAt(this.markersKey, keepUntil, 'NX')
        .pExpireAt(this.markersKey, keepUntil, 'GT')
        .publish(this.channel, wire)
        .exec(),
    );
  }

  /**
   * The live persisted markers, dropping (and counting) those that fail
   * their check.
   * @throws IntrospectionCacheError when Redis does not answer within `timeoutMs`
   */
  async load(): Promise<RevocationMarker[]> {
    const now = this.clock.now();
    const members = await this.command('load the cut-off markers', (redis) =>
      redis.zRangeByScore(this.markersKey, `(${now}`, '+inf'),
    );
    const markers: RevocationMarker[] = [];
    for (const member of members) {
      const opened = this.open(member);
      if (opened !== undefined && opened.message.kind === 'cutoff') {
        const { filter, before, keepUntil } = opened.message;
        markers.push({ filter, before, keepUntil });
      }
    }
    return markers;
  }

  /**
   * Claims `id` fleet-wide for `ttlMs` (`SET NX PX`): true for the first
   * claim, false for every other within `ttlMs`, on any instance.
   * @throws IntrospectionCacheError when Redis does not answer within `timeoutMs`
   */
  claimOnce(id: string, ttlMs: number): Promise<boolean> {
    return this.command('claim an id', (redis) => claimOnce(redis, claimKey(this.claimPrefix, id), ttlMs));
  }

  /** Calls `listener` for every eviction heard. @returns a function that removes it */
  onEvict(listener: Listener<RevocationEviction>): () => void {
    return subscribe(this.evictListeners, listener);
  }

  /** Calls `listener` for every marker heard or loaded. @returns a function that removes it */
  onCutoff(listener: Listener<RevocationCutoff>): () => void {
    return subscribe(this.cutoffListeners, listener);
  }

  /** Calls `listener` with every change of `hearing`. @returns a function that removes it */
  onHearingChange(listener: Listener<boolean>): () => void {
    return subscribe(this.hearingListeners, listener);
  }

  /** Calls `listener` for every message dropped. @returns a function that removes it */
  onDropped(listener: Listener<DroppedRevocationMessage>): () => void {
    return subscribe(this.droppedListeners, listener);
  }

  /** Stops listening and closes both connections at once. */
  close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const session = this.session;
    this.session = undefined;
    if (session !== undefined) {
      this.teardown(session);
    }
    this.setHearing(false);
    return Promise.resolve();
  }

  private async connect(): Promise<void> {
    if (this.closed) {
      return;
    }
    const session: Session = { subscriber: this.client(), commands: this.client() };
    this.session = session;
    for (const client of [session.subscriber, session.commands]) {
      client.on('error', (error: unknown) => this.fail(session, error));
      client.on('end', () => this.fail(session, new Error('connection closed')));
      client.on('reconnecting', () => this.fail(session, new Error('reconnecting')));
    }
    try {
      await withDeadline(
        Promise.all([session.subscriber.connect(), session.commands.connect()]),
        this.timeoutMs,
      );
      await withDeadline(
        session.subscriber.subscribe(this.channel, (wire) => this.receive(session, wire)),
        this.timeoutMs,
      );
      // Loaded after subscribing: a marker published in between is heard, or loaded, or both.
      const markers = await this.load();
      if (this.session !== session) {
        return;
      }
      for (const marker of markers) {
        this.emit(this.cutoffListeners, { ...marker, origin: 'store' });
      }
      this.failures = 0;
      this.setHearing(true);
      this.schedulePing(session);
    } catch (error) {
      this.fail(session, error);
    }
  }

  private client(): RedisClient {
    return createClient({
      url: this.options.url,
      // Reconnection is ours: a new subscription is only trusted once confirmed and the markers reloaded.
      socket: { connectTimeout: this.timeoutMs, reconnectStrategy: false },
      disableOfflineQueue: true,
    });
  }

  private schedulePing(session: Session): void {
    session.pingTimer = setTimeout(() => {
      withDeadline(session.subscriber.ping(), this.timeoutMs).then(
        () => {
          if (this.session === session) {
            this.schedulePing(session);
          }
        },
        (error: unknown) => this.fail(session, error),
      );
    }, this.livenessIntervalMs);
    session.pingTimer.unref();
  }

  private fail(session: Session, error: unknown): void {
    if (this.session !== session || this.closed) {
      return;
    }
    this.session = undefined;
    this.teardown(session);
    this.setHearing(false);
    this.warn(
      'deaf',
      `The revocation channel ${this.channel} lost Redis (${describe(error)}); revocations from other instances are not heard until it is back. Reconnecting.`,
    );
    const delay = Math.min(this.reconnectDelayMs * 2 ** this.failures, this.maxReconnectDelayMs);
    this.failures = Math.min(this.failures + 1, 30);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
    this.reconnectTimer.unref();
  }

  private teardown(session: Session): void {
    clearTimeout(session.pingTimer);
    for (const client of [session.subscriber, session.commands]) {
      // Late events of a torn-down client must not crash the process.
      client.on('error', () => undefined);
      if (client.isOpen) {
        client.destroy();
      }
    }
  }

  private async command<T>(what: string, run: (redis: RedisClient) => Promise<T>): Promise<T> {
    const redis = this.session?.commands;
    if (redis === undefined || !redis.isReady) {
      throw new IntrospectionCacheError(
        `Could not ${what}: the revocation channel is not connected to Redis (cache.url); other instances may not hear of it.`,
      );
    }
    try {
      return await withDeadline(run(redis), this.timeoutMs);
    } catch (error) {
      throw new IntrospectionCacheError(
        `Could not ${what}: Redis (cache.url) did not confirm within ${this.timeoutMs}ms (${describe(error)}); other instances may not hear of it.`,
      );
    }
  }

  private receive(session: Session, wire: string): void {
    if (this.session !== session) {
      return;
    }
    const opened = this.open(wire);
    if (opened === undefined) {
      return;
    }
    const origin: RevocationOrigin = opened.instance === this.instance ? 'self' : 'peer';
    if (opened.message.kind === 'evict') {
      this.emit(this.evictListeners, { key: opened.message.key, origin });
    } else {
      const { filter, before, keepUntil } = opened.message;
      this.emit(this.cutoffListeners, { filter, before, keepUntil, origin });
    }
  }

  private open(wire: string) {
    const opened = this.seal.open(wire);
    if (typeof opened !== 'string') {
      return opened;
    }
    this.droppedCount++;
    this.droppedSinceWarning++;
    this.emit(this.droppedListeners, opened);
    if (
      this.warn(
        'dropped',
        `Dropped ${this.droppedSinceWarning} revocation message(s) on ${this.channel} that failed authentication or were malformed (last: ${opened}). Every instance sharing the store needs the same cache.secret.`,
      )
    ) {
      this.droppedSinceWarning = 0;
    }
    return undefined;
  }

  private setHearing(hearing: boolean): void {
    if (this.isHearing === hearing) {
      return;
    }
    this.isHearing = hearing;
    if (hearing) {
      this.logger.log(`The revocation channel ${this.channel} is subscribed and its markers loaded.`);
    }
    this.emit(this.hearingListeners, hearing);
  }

  private emit<T>(listeners: Set<Listener<T>>, value: T): void {
    for (const listener of listeners) {
      try {
        listener(value);
      } catch (error) {
        this.warn('listener', `A revocation channel listener threw: ${describe(error)}.`);
      }
    }
  }

  /** Logs `message` unless a warning of `kind` was logged within the interval. @returns whether it logged */
  private warn(kind: string, message: string): boolean {
    const now = this.clock.now();
    const last = this.lastWarnings.get(kind);
    if (last !== undefined && now - last < this.warningIntervalMs) {
      return false;
    }
    this.lastWarnings.set(kind, now);
    this.logger.warn(message);
    return true;
  }
}

function subscribe<T>(listeners: Set<Listener<T>>, listener: Listener<T>): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A short description of a failure: its class and code, never its text (which may quote a command). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) {
    return 'error';
  }
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string'
    ? `${error.name} ${code}`
    : error.message === 'timeout'
      ? 'timeout'
      : error.name;
}
