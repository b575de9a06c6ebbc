import { Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { createClient } from '@redis/client';
import { randomBytes } from 'node:crypto';
import type { IntrospectionEvents } from '../events/introspection-events';
import { systemClock, type Clock } from '../interfaces/clock.interface';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';

/** How long Redis is left alone after a failure before it is tried again. */
const DEFAULT_RETRY_INTERVAL_MS = 5_000;
/** How often a waiting call looks at the lock itself: the safety net of the notification, the fast path. */
const DEFAULT_POLL_INTERVAL_MS = 50;
/** The longest the connections may take to open, at least; requests wait for them at most `commandTimeoutMs`. */
const MIN_CONNECT_TIMEOUT_MS = 2_000;

/**
 * Compare-and-delete: only the instance that set the lock removes it, so a
 * lock that expired and was taken by another instance stays. Then tells the
 * waiting instances that the key's answer is there (or will not come).
 */
const RELEASE_SCRIPT = `local released = 0
if redis.call('get', KEYS[1]) == ARGV[1] then released = redis.call('del', KEYS[1]) end
redis.call('publish', ARGV[2], ARGV[3])
return released`;

type RedisClient = ReturnType<typeof createClient>;

/** Redis did not answer in time: the connections did not open, or a command got no reply. */
class RedisTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** `operation`, rejected with a `RedisTimeoutError` when it takes longer than `ms`. */
async function within<T>(ms: number, operation: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      operation,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new RedisTimeoutError()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The two connections of one instance: commands, and the subscription to "done" notifications. */
interface Connection {
  readonly commands: RedisClient;
  readonly subscriber: RedisClient;
}

/** The wake-ups of one waiting call: a notification for its key, or a poll timer, whichever comes first. */
interface Wake {
  /** Resolves on the next notification for the key (or one since the last call), or after `ms`. */
  next(ms: number): Promise<void>;
  /** Stops listening. */
  cancel(): void;
}

/** Settings of {@link DistributedCoalescing}. */
export interface DistributedCoalescingSettings {
  /** The Redis shared by the instances (`cache.url`). */
  readonly url: string;
  /** The registration's name, for a named registration: its locks and notifications live apart. */
  readonly namespace?: string;
  /** Deadline of one Redis command (`cache.timeout`); a slower Redis is bypassed. */
  readonly commandTimeoutMs: number;
  /**
   * How long a lock holds when its holder neither answers nor releases it
   * (it crashed): longer than one lookup (introspection and cache write).
   */
  readonly lockTtlMs: number;
  /**
   * The longest the connections may take to open (connect and subscribe);
   * past it, Redis is bypassed. @default 2000, or `commandTimeoutMs` when longer
   */
  readonly connectTimeoutMs?: number;
  /** How long Redis is bypassed after a failure. @default 5000 */
  readonly retryIntervalMs?: number;
  /** How often a waiting call looks at the lock, notified or not. @default 50 */
  readonly pollIntervalMs?: number;
  /** Source of time of the retry interval. @default the system clock */
  readonly clock?: Clock;
}

/**
 * One introspection per token across the instances sharing a Redis
 * (`cache.coalescing: 'distributed'`): the first instance to miss a key takes
 * a short lock on it (`SET NX PX`) and looks the token up; the others wait for
 * its answer to reach the shared cache, notified over pub/sub (and looking at
 * the lock as a safety net), then read it. Best effort, never a failure: a
 * lock released without a shared answer (the lookup failed, or its answer is
 * not cached), a wait past its deadline, and any Redis error or timeout make
 * the call run its own lookup; after a Redis failure, Redis is bypassed for
 * `retryIntervalMs` (reported as `coalescing.degraded`, and in the log at
 * most once per interval, without keys).
 *
 * Keys are the cache keys (HMACs of the token, never the token) under
 * `introspection:coalescing:`.
 * @internal
 */
export class DistributedCoalescing implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Introspection');
  private readonly clock: Clock;
  private readonly retryIntervalMs: number;
  private readonly pollIntervalMs: number;
  private readonly prefix: string;
  private readonly channel: string;
  /** The wake-ups of the calls waiting for another instance, by key. */
  private readonly waiters = new Map<string, Set<() => void>>();
  private connecting?: Promise<Connection>;
  /** The clients being opened or open, so that a failure or `close()` can tear them down. */
  private clients: RedisClient[] = [];
  private bypassUntil = 0;
  private degraded = false;
  private closed = false;

  constructor(
    private readonly settings: DistributedCoalescingSettings,
    private readonly events?: IntrospectionEvents,
  ) {
    this.clock = settings.clock ?? systemClock;
    this.retryIntervalMs = settings.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS;
    this.pollIntervalMs = settings.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.prefix =
      settings.namespace === undefined
        ? 'introspection:coalescing:'
        : `introspection:coalescing:${encodeURIComponent(settings.namespace)}:`;
    this.channel = `${this.prefix}done`;
  }

  /**
   * The coalescing the options ask for: `undefined` unless
   * `cacheCoalescing` is `'distributed'`. The lock outlives one lookup:
   * the transport's deadline plus a cache read and a write.
   */
  static fromOptions(
    options: ResolvedIntrospectionOptions,
    events?: IntrospectionEvents,
    namespace?: string,
  ): DistributedCoalescing | undefined {
    if (options.cacheCoalescing !== 'distributed' || options.cacheUrl === undefined) {
      return undefined;
    }
    return new DistributedCoalescing(
      {
        url: options.cacheUrl,
        namespace,
        commandTimeoutMs: options.cacheTimeoutMs,
        lockTtlMs: options.timeoutMs + 2 * options.cacheTimeoutMs,
      },
      events,
    );
  }

  /**
   * Runs `work` for `key` on one instance only, as far as Redis allows.
   *
   * - The instance that takes the lock reads the shared cache once more (an
   *   answer may have landed since the caller's miss), runs `work` (which
   *   must write its answer to the shared cache before it resolves), then
   *   releases the lock and notifies the others. `work`'s error is rethrown.
   * - The others wait until the lock is released, then resolve with
   *   `readShared()`'s answer, or run `work` themselves when it has none.
   * - No call waits past `maxWaitMs` (then it runs `work`), and any Redis
   *   error or timeout runs `work` directly: this never fails for Redis.
   *
   * @param key the cache key (an HMAC of the token, never the token)
   * @param maxWaitMs how long at most to wait for another instance's answer, from now (the request's deadline)
   * @param work the lookup: introspects and writes the answer to the shared cache
   * @param readShared reads the shared cache: the answer, or `undefined`
   */
  async run<T>(
    key: string,
    maxWaitMs: number,
    work: () => Promise<T>,
    readShared: () => Promise<T | undefined>,
  ): Promise<T> {
    const redis = await this.connection();
    if (!redis) {
      return work();
    }
    const lock = `${this.prefix}lock:${key}`;
    const owner = randomBytes(16).toString('base64url');
    // Listening before the lock is tried: a release between the two is not missed.
    const wake = this.listen(key);
    try {
      let acquired: boolean;
      try {
        acquired =
          (await this.command(
            redis.commands.set(lock, owner, {
              condition: 'NX',
              expiration: { type: 'PX', value: this.settings.lockTtlMs },
            }),
          )) === 'OK';
      } catch (error) {
        this.failed(error, redis.commands);
        return work();
      }
      this.answered();
      if (acquired) {
        wake.cancel();
        return await this.lead(redis, key, lock, owner, work, readShared);
      }
      return await this.follow(redis, lock, maxWaitMs, wake, work, readShared);
    } finally {
      wake.cancel();
    }
  }

  /**
   * Opens the connections now rather than on the first `run`, so that the
   * first requests are coalesced too. Never rejects: a failure is reported
   * like any other and bypasses Redis for the retry interval.
   */
  async connect(): Promise<void> {
    await this.connection(Number.POSITIVE_INFINITY);
  }

  /** Connects at boot (see `connect`), so that the first requests are coalesced too. */
  onModuleInit(): Promise<void> {
    return this.connect();
  }

  onModuleDestroy(): Promise<void> {
    return this.close();
  }

  /** Closes the connections at once; calls waiting for another instance run their own lookup. */
  close(): Promise<void> {
    this.closed = true;
    this.disconnect();
    return Promise.resolve();
  }

  private async lead<T>(
    redis: Connection,
    key: string,
    lock: string,
    owner: string,
    work: () => Promise<T>,
    readShared: () => Promise<T | undefined>,
  ): Promise<T> {
    try {
      // The previous holder may have answered between the caller's miss and this lock.
      return (await readShared()) ?? (await work());
    } finally {
      try {
        await this.command(
          redis.commands.eval(RELEASE_SCRIPT, { keys: [lock], arguments: [owner, this.channel, key] }),
        );
      } catch (error) {
        // The lock expires on its own; the waiting instances notice it by polling.
        this.failed(error, redis.commands);
      }
    }
  }

  private async follow<T>(
    redis: Connection,
    lock: string,
    maxWaitMs: number,
    wake: Wake,
    work: () => Promise<T>,
    readShared: () => Promise<T | undefined>,
  ): Promise<T> {
    const deadline = performance.now() + maxWaitMs;
    for (;;) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        this.events?.emit('coalescing.waited', { outcome: 'deadline' });
        return work();
      }
      await wake.next(Math.min(this.pollIntervalMs, remaining));
      let held: boolean;
      try {
        held = (await this.command(redis.commands.exists(lock))) === 1;
      } catch (error) {
        this.failed(error, redis.commands);
        return work();
      }
      if (!held) {
        // Released (or expired): the answer is in the shared cache, unless there is none to share.
        const shared = await readShared();
        this.events?.emit('coalescing.waited', { outcome: shared === undefined ? 'unanswered' : 'shared' });
        return shared ?? work();
      }
    }
  }

  /**
   * The open connection, waiting for one being opened at most `waitMs`
   * (`undefined` past it, without a failure: the connection goes on);
   * `undefined` while Redis is bypassed or after `close()`.
   */
  private async connection(waitMs = this.settings.commandTimeoutMs): Promise<Connection | undefined> {
    if (this.closed || this.clock.now() < this.bypassUntil) {
      return undefined;
    }
    this.connecting ??= this.open();
    const connecting = this.connecting;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        connecting,
        new Promise<undefined>((resolve) => {
          if (Number.isFinite(waitMs)) {
            timer = setTimeout(() => resolve(undefined), waitMs);
          }
        }),
      ]);
    } catch (error) {
      // Only the first call to see this connection fail reports it.
      if (this.connecting === connecting) {
        this.failed(error);
      }
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private async open(): Promise<Connection> {
    const connectTimeoutMs =
      this.settings.connectTimeoutMs ?? Math.max(MIN_CONNECT_TIMEOUT_MS, this.settings.commandTimeoutMs);
    const client = (): RedisClient => {
      const made: RedisClient = createClient({
        url: this.settings.url,
        socket: {
          connectTimeout: connectTimeoutMs,
          // A lost connection is opened again after the retry interval, not in a loop meanwhile.
          reconnectStrategy: false,
        },
        // Commands fail at once while disconnected instead of queueing past their deadline.
        disableOfflineQueue: true,
      });
      // Errors also surface on the commands; an unhandled 'error' event would crash the process.
      made.on('error', (error: unknown) => this.failed(error, made));
      this.clients.push(made);
      return made;
    };
    const commands = client();
    const subscriber = client();
    // A Redis that accepts connections but never answers would leave them opening forever.
    await within(
      connectTimeoutMs,
      (async () => {
        await Promise.all([commands.connect(), subscriber.connect()]);
        await subscriber.subscribe(this.channel, (key) => this.notify(key));
      })(),
    );
    return { commands, subscriber };
  }

  /** One command within `commandTimeoutMs`: the client's own timeout covers only the wait to be sent, not the reply. */
  private command<T>(operation: Promise<T>): Promise<T> {
    return within(this.settings.commandTimeoutMs, operation);
  }

  /** Wakes the calls waiting for `key`. */
  private notify(key: string): void {
    for (const waker of this.waiters.get(key) ?? []) {
      waker();
    }
  }

  private listen(key: string): Wake {
    let signalled = false;
    let current: (() => void) | undefined;
    const waker = () => {
      signalled = true;
      current?.();
    };
    let set = this.waiters.get(key);
    if (!set) {
      set = new Set();
      this.waiters.set(key, set);
    }
    set.add(waker);
    return {
      next: (ms) =>
        new Promise<void>((resolve) => {
          if (signalled) {
            signalled = false;
            resolve();
            return;
          }
          const done = () => {
            clearTimeout(timer);
            current = undefined;
            signalled = false;
            resolve();
          };
          const timer = setTimeout(done, ms);
          current = done;
        }),
      cancel: () => {
        const waiting = this.waiters.get(key);
        waiting?.delete(waker);
        if (waiting?.size === 0) {
          this.waiters.delete(key);
        }
      },
    };
  }

  /** Redis answered: after a bypass, coalescing is back. */
  private answered(): void {
    if (this.degraded) {
      this.degraded = false;
      this.logger.log(
        'The Redis of cache.coalescing answers again; coalescing introspections across instances.',
      );
      this.events?.emit('coalescing.restored', {});
    }
  }

  /**
   * Tears the connections down and bypasses Redis for the retry interval,
   * reported once per interval. A failure of `client` when it belongs to
   * connections torn down before is ignored: it must not close newer ones.
   */
  private failed(error: unknown, client?: RedisClient): void {
    if (client !== undefined && !this.clients.includes(client)) {
      return;
    }
    this.disconnect();
    if (this.closed) {
      return;
    }
    const now = this.clock.now();
    if (now < this.bypassUntil) {
      return;
    }
    const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'error';
    this.bypassUntil = now + this.retryIntervalMs;
    this.degraded = true;
    this.events?.emit('coalescing.degraded', { reason, retryInMs: this.retryIntervalMs });
    // The error itself is not logged: Redis errors may echo keys.
    this.logger.warn(
      `The Redis of cache.coalescing ${reason === 'timeout' ? `did not answer within ${this.settings.commandTimeoutMs} ms` : 'failed'}; coalescing introspections per instance only for ${this.retryIntervalMs / 1000}s.`,
    );
  }

  /** Closes every client at once and wakes the waiting calls, whose next command then fails. */
  private disconnect(): void {
    const clients = this.clients;
    this.clients = [];
    this.connecting = undefined;
    for (const client of clients) {
      try {
        client.destroy();
      } catch {
        // Not open yet, or already closed.
      }
    }
    for (const key of [...this.waiters.keys()]) {
      this.notify(key);
    }
  }
}
