import type { Clock } from '../interfaces/clock.interface';

/** Bound of the `jti` memory; past it the entries that expire first are forgotten first. */
export const DEFAULT_SECURITY_EVENT_REPLAY_ENTRIES = 10_000;

/**
 * The `jti` of every SET accepted within `securityEvents.maxAge` (RFC 8417
 * §2.2: a SET is identified by `iss` and `jti`; one issuer per receiver), so
 * that a replay is refused. In memory and bounded: a flood of SETs cannot
 * grow it past `maxEntries`. Forgetting one early is harmless, since its
 * revocation applied again changes nothing.
 * @internal
 */
export class SecurityEventReplayCache {
  /** `jti` → when it may be forgotten (ms); kept in expiry order. */
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    readonly maxEntries = DEFAULT_SECURITY_EVENT_REPLAY_ENTRIES,
  ) {}

  /** Entries held now. */
  get size(): number {
    return this.expiries.size;
  }

  /**
   * Records `jti` until `forgetAt` (ms since the epoch).
   * @returns false when it is held already (a replay)
   */
  claim(jti: string, forgetAt: number): boolean {
    const now = this.clock.now();
    const held = this.expiries.get(jti);
    if (held !== undefined && held > now) {
      return false;
    }
    this.expiries.delete(jti);
    this.prune(now);
    this.expiries.set(jti, forgetAt);
    return true;
  }

  /** Forgets `jti`: its SET was not applied, so the transmitter's retry must be accepted. */
  release(jti: string): void {
    this.expiries.delete(jti);
  }

  /** Drops expired entries, then the oldest until there is room for one more. */
  private prune(now: number): void {
    // Every entry lives as long as the others (iat + maxAge, iat within maxAge of
    // now): insertion order is close to expiry order, and the bound is exact.
    for (const [jti, forgetAt] of this.expiries) {
      if (forgetAt > now && this.expiries.size < this.maxEntries) {
        return;
      }
      this.expiries.delete(jti);
    }
  }
}
