import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import { IntrospectionEvents } from '../events/introspection-events';
import type { Clock } from '../interfaces/clock.interface';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import type { RevocationFilter } from '../interfaces/revocation.interface';
import { INTROSPECTION_CLOCK, INTROSPECTION_REGISTRATION_NAME } from '../introspection.constants';
import { RevocationChannel } from './revocation-channel';
import { RevocationCutoffs } from './revocation-cutoffs';

/**
 * What makes cached answers unusable before they expire, for one
 * registration: cut-off markers (`invalidateWhere`) checked on every cache
 * hit, and, with a Redis cache (`cache.url`), the channel that carries
 * evictions and markers to every instance at once (see `RevocationChannel`).
 * While that channel is deaf, `hearing` is false: the in-process tier must
 * then neither serve nor keep anything, for it could miss a revocation.
 * @internal
 */
@Injectable()
export class Revocations implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Introspection');
  private readonly cutoffs: RevocationCutoffs;
  private readonly channel?: RevocationChannel;
  private readonly evictListeners: ((key: string) => void)[] = [];
  private readonly deafListeners: (() => void)[] = [];
  private lastOverflowWarning = Number.NEGATIVE_INFINITY;

  constructor(
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
    @Inject(INTROSPECTION_CLOCK) private readonly clock: Clock,
    private readonly events: IntrospectionEvents,
    @Optional() @Inject(INTROSPECTION_REGISTRATION_NAME) namespace?: string,
  ) {
    this.cutoffs = new RevocationCutoffs(clock);
    if (options.ttlMs > 0 && options.cacheUrl !== undefined && options.cache === undefined) {
      this.channel = new RevocationChannel({
        url: options.cacheUrl,
        secrets: [options.cacheSecret, ...options.cachePreviousSecrets],
        namespace,
        clock,
        timeoutMs: options.cacheTimeoutMs,
        logger: this.logger,
      });
      this.channel.onCutoff(({ filter, before, keepUntil, origin }) => {
        this.apply(filter, before, keepUntil);
        this.events.emit('revocation.cutoff', { origin });
      });
      this.channel.onEvict(({ key, origin }) => {
        if (origin !== 'self') {
          for (const listener of this.evictListeners) {
            listener(key);
          }
        }
        this.events.emit('revocation.evicted', { origin });
      });
      this.channel.onHearingChange((hearing) => {
        this.events.emit('revocation.channel', { hearing });
        if (!hearing) {
          for (const listener of this.deafListeners) {
            listener();
          }
        }
      });
    }
  }

  /** Whether revocations reach this instance from the others (a Redis cache): then `hearing` can turn false. */
  get distributed(): boolean {
    return this.channel !== undefined;
  }

  /**
   * Whether this instance is sure to learn of revocations made elsewhere:
   * always without a channel (nothing else shares its cache), else while
   * the channel is subscribed and its markers loaded.
   */
  get hearing(): boolean {
    return this.channel === undefined || this.channel.hearing;
  }

  async onModuleInit(): Promise<void> {
    await this.channel?.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.channel?.close();
  }

  /** Whether a marker makes `result`, from an introspection started at `requestedAt`, unusable. */
  revokes(result: IntrospectionResult, requestedAt: number): boolean {
    return this.cutoffs.revokes(result, requestedAt);
  }

  /**
   * Makes every answer matching `filter` from an introspection started
   * before `before` unusable, here at once and, with a channel, on every
   * instance (the marker is also stored in Redis for instances that start
   * or reconnect later). Kept until `keepUntil`.
   * @throws IntrospectionCacheError Redis did not confirm: applied here only
   */
  async revokeWhere(filter: RevocationFilter, before: number, keepUntil: number): Promise<void> {
    this.apply(filter, before, keepUntil);
    this.events.emit('revocation.cutoff', { origin: 'self' });
    await this.channel?.publishCutoff(filter, before, keepUntil);
  }

  /**
   * Tells the other instances that the entry under `key` is gone (their
   * in-process tiers drop it).
   * @throws IntrospectionCacheError Redis did not confirm
   */
  async evicted(key: string): Promise<void> {
    await this.channel?.publishEvict(key);
  }

  /** Calls `listener` with each store key another instance evicted. */
  onEvict(listener: (key: string) => void): void {
    this.evictListeners.push(listener);
  }

  /** Calls `listener` whenever the channel stops hearing. */
  onDeaf(listener: () => void): void {
    this.deafListeners.push(listener);
  }

  /** How long a marker made now must be kept: as long as any answer from before it could be used. */
  keepUntil(before: number): number {
    const o = this.options;
    return Math.max(before, this.clock.now()) + o.ttlMs + o.staleIfErrorMs + o.clockToleranceMs + o.timeoutMs;
  }

  private apply(filter: RevocationFilter, before: number, keepUntil: number): void {
    if (!this.cutoffs.add(filter, before, keepUntil)) {
      // Still safe: the oldest marker was widened to every answer, which costs introspections.
      const now = this.clock.now();
      if (now - this.lastOverflowWarning >= 60_000) {
        this.lastOverflowWarning = now;
        this.logger.warn(
          'More revocation markers than this instance keeps: the oldest now applies to every cached answer until it expires (more introspections, never a revoked token accepted).',
        );
      }
    }
  }
}
