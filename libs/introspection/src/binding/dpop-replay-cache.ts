import { createClient } from '@keyv/redis';
import { createHash } from 'node:crypto';
import { IntrospectionUnavailableError } from '../errors/introspection.errors';
import type { Clock } from '../interfaces/clock.interface';

/** Bound of the in-memory record; past it the oldest proofs are forgotten first. */
const MAX_MEMORY_ENTRIES = 100_000;
const REDIS_PREFIX = 'introspection:dpop-jti:';

type RedisClient = ReturnType<typeof createClient>;

/**
 * The `jti` values of the proofs seen within their validity window
 * (RFC 9449 §11.1): in memory, and in Redis at `cache.url` when one is
 * configured, so that a proof replayed to another instance is refused too.
 * The store is written with `SET NX`, one atomic claim per proof. When Redis
 * does not answer within `timeoutMs`, proofs are refused (503): a replay
 * check that was skipped is no check.
 * @internal
 */
export class DpopReplayCache {
  private readonly seen = new Map<string, number>();
  private redis?: Promise<RedisClient>;
  // The client itself, so that a connection still being set up can be torn down.
  private connection?: RedisClient;

  constructor(
    private readonly clock: Clock,
    private readonly redisUrl: string | undefined,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Records the proof `jti` of key `jkt`, kept for `ttlMs`.
   * @returns false when it was seen before (a replay)
   * @throws IntrospectionUnavailableError when the shared store does not answer
   */
  async claim(jkt: string, jti: string, ttlMs: number): Promise<boolean> {
    const key = createHash('sha256').update(`${jkt}.${jti}`).digest('base64url');
    const now = this.clock.now();
    this.sweep(now);
    const expires = this.seen.get(key);
    if (expires !== undefined && expires > now) {
      return false;
    }
    this.seen.set(key, now + ttlMs);
    if (this.redisUrl === undefined) {
      return true;
    }
    return this.claimShared(key, ttlMs);
  }

  /** Closes the Redis connection, if one was opened, at once (pending commands fail). */
  close(): Promise<void> {
    const client = this.connection;
    this.redis = undefined;
    this.connection = undefined;
    if (client?.isOpen) {
      client.destroy();
    }
    return Promise.resolve();
  }

  private sweep(now: number): void {
    // Every entry lives as long as the others: insertion order is expiry order.
    for (const [key, expires] of this.seen) {
      if (expires > now && this.seen.size < MAX_MEMORY_ENTRIES) {
        break;
      }
      this.seen.delete(key);
    }
  }

  private async claimShared(key: string, ttlMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = await Promise.race([
        this.client().then((redis) => redis.set(`${REDIS_PREFIX}${key}`, '1', { NX: true, PX: ttlMs })),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), this.timeoutMs);
        }),
      ]);
      return answer === 'OK';
    } catch (error) {
      // The connection is opened again on the next proof.
      void this.close();
      throw new IntrospectionUnavailableError(
        `The DPoP replay store (cache.url) did not answer: ${error instanceof Error ? error.message : 'error'}.`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  private client(): Promise<RedisClient> {
    this.redis ??= (async () => {
      const client = createClient({
        url: this.redisUrl,
        socket: { connectTimeout: this.timeoutMs, reconnectStrategy: false },
        disableOfflineQueue: true,
      });
      // Errors surface on the commands; an unhandled 'error' event would crash the process.
      client.on('error', () => undefined);
      this.connection = client as RedisClient;
      await client.connect();
      return client as RedisClient;
    })();
    return this.redis;
  }
}
