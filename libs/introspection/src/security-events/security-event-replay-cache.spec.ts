import type { Clock } from '../interfaces/clock.interface';
import {
  DEFAULT_SECURITY_EVENT_REPLAY_ENTRIES,
  SecurityEventReplayCache,
} from './security-event-replay-cache';

describe('SecurityEventReplayCache', () => {
  let nowMs = 1_000_000;
  const clock: Clock = { now: () => nowMs };

  it('refuses a jti it holds, until it expires or is released', () => {
    const cache = new SecurityEventReplayCache(clock);
    expect(cache.claim('a', nowMs + 1000)).toBe(true);
    expect(cache.claim('a', nowMs + 1000)).toBe(false);
    cache.release('a');
    expect(cache.claim('a', nowMs + 1000)).toBe(true);
    nowMs += 1000;
    expect(cache.claim('a', nowMs + 1000)).toBe(true);
  });

  it('stays within its bound under a flood of SETs, forgetting the oldest first', () => {
    const cache = new SecurityEventReplayCache(clock);
    const flood = DEFAULT_SECURITY_EVENT_REPLAY_ENTRIES * 10;
    for (let i = 0; i < flood; i++) {
      expect(cache.claim(`jti-${i}`, nowMs + 300_000)).toBe(true);
    }
    expect(cache.size).toBe(DEFAULT_SECURITY_EVENT_REPLAY_ENTRIES);
    // The most recent are still refused; the oldest were forgotten.
    expect(cache.claim(`jti-${flood - 1}`, nowMs + 300_000)).toBe(false);
    expect(cache.claim('jti-0', nowMs + 300_000)).toBe(true);
  });

  it('drops expired entries as new ones come', () => {
    const cache = new SecurityEventReplayCache(clock, 100);
    for (let i = 0; i < 50; i++) {
      cache.claim(`old-${i}`, nowMs + 10);
    }
    nowMs += 11;
    cache.claim('new', nowMs + 10);
    expect(cache.size).toBe(1);
  });
});
