import { createHash } from 'node:crypto';

/** The commands `claimOnce` needs: any `@redis/client` client has them. @internal */
export interface ClaimStore {
  set(
    key: string,
    value: string,
    options: { condition: 'NX'; expiration: { type: 'PX'; value: number } },
  ): Promise<unknown>;
}

/**
 * The Redis key under which `id` is claimed, below `prefix`: a digest, so
 * that any id (a SET `jti`, say) makes a short key of safe characters.
 * @internal
 */
export function claimKey(prefix: string, id: string): string {
  return `${prefix}${createHash('sha256').update(id).digest('base64url')}`;
}

/**
 * Claims `key` for `ttlMs` with `SET key 1 NX PX ttl`, atomically across
 * every instance sharing the store.
 * @returns true for the first claim within `ttlMs`, false for every other
 * @internal
 */
export async function claimOnce(store: ClaimStore, key: string, ttlMs: number): Promise<boolean> {
  const answer = await store.set(key, '1', { condition: 'NX', expiration: { type: 'PX', value: ttlMs } });
  return answer === 'OK';
}
