import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../interfaces/clock.interface';

/**
 * Server-provided DPoP nonces (RFC 9449 §8): one per `lifetimeMs` window,
 * an HMAC of the window's number under the cache secret, so instances that
 * share `cache.secret` hand out and accept the same nonces without talking
 * to each other. The current and the previous window's nonce are accepted.
 * @internal
 */
export class DpopNonces {
  constructor(
    private readonly secret: KeyObject,
    private readonly lifetimeMs: number,
    private readonly clock: Clock,
  ) {}

  /** The nonce to hand out now. */
  current(): string {
    return this.nonce(this.window());
  }

  /** Whether `nonce` is the current or the previous one. */
  accepts(nonce: string | undefined): boolean {
    if (nonce === undefined) {
      return false;
    }
    const window = this.window();
    const given = Buffer.from(nonce);
    return [window, window - 1].some((candidate) => {
      const expected = Buffer.from(this.nonce(candidate));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }

  private window(): number {
    return Math.floor(this.clock.now() / this.lifetimeMs);
  }

  private nonce(window: number): string {
    return createHmac('sha256', this.secret).update(`dpop-nonce:${window}`).digest('base64url');
  }
}
