import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { RevocationFilter } from '../interfaces/revocation.interface';
import { parseRevocationFilter } from './revocation-filter';

/** What instances tell each other over the revocation channel. @internal */
export type RevocationMessage =
  /** Drop the cache entry under `key` (a key of `CacheKeyring`), in memory too. */
  | { readonly kind: 'evict'; readonly key: string }
  /** Add a cut-off marker (see `RevocationCutoffs.add`). */
  | {
      readonly kind: 'cutoff';
      readonly filter: RevocationFilter;
      readonly before: number;
      readonly keepUntil: number;
    };

/** A message that passed its check, with the instance that sealed it. @internal */
export interface OpenedRevocationMessage {
  readonly message: RevocationMessage;
  /** The random id of the sending instance. */
  readonly instance: string;
}

/** Why a message was dropped. @internal */
export type DroppedRevocationMessage = 'unauthenticated' | 'malformed';

/** Longest message accepted, in characters: anything longer is dropped unread. */
export const MAX_MESSAGE_LENGTH = 16_384;
/** Longest cache key accepted in an `evict` message. */
const MAX_KEY_LENGTH = 1_024;
const VERSION = 1;
const MAC_BYTES = 32;

/**
 * Seals and opens the messages of one revocation channel. A message is
 * `{"v":1,"p":payload,"m":mac}`, where the MAC is HMAC-SHA256 over the
 * channel name and the payload under the current cache secret; a message
 * under any of the secrets (current, then previous) is accepted, so that a
 * secret rotation does not deafen instances. The channel name is covered,
 * so a message of one registration cannot be replayed into another. A
 * replay within a channel is harmless: evicting again or adding the same
 * marker (its `keepUntil` is sealed in it) changes nothing.
 * @internal
 */
export class RevocationMessageSeal {
  constructor(
    private readonly secrets: readonly KeyObject[],
    private readonly channel: string,
  ) {}

  /** The wire form of `message` from `instance`. */
  seal(message: RevocationMessage, instance: string): string {
    const payload = JSON.stringify(
      message.kind === 'evict'
        ? [message.kind, instance, message.key]
        : [message.kind, instance, filterMembers(message.filter), message.before, message.keepUntil],
    );
    return JSON.stringify({ v: VERSION, p: payload, m: this.mac(payload, 0).toString('base64url') });
  }

  /** The message in `wire`, or why it was dropped. Never throws. */
  open(wire: string): OpenedRevocationMessage | DroppedRevocationMessage {
    if (wire.length > MAX_MESSAGE_LENGTH) {
      return 'malformed';
    }
    const envelope = parseJson(wire) as { v?: unknown; p?: unknown; m?: unknown } | undefined;
    if (
      typeof envelope !== 'object' ||
      envelope === null ||
      envelope.v !== VERSION ||
      typeof envelope.p !== 'string' ||
      typeof envelope.m !== 'string'
    ) {
      return 'malformed';
    }
    if (!this.authentic(envelope.p, envelope.m)) {
      return 'unauthenticated';
    }
    return parsePayload(parseJson(envelope.p)) ?? 'malformed';
  }

  private authentic(payload: string, mac: string): boolean {
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== MAC_BYTES) {
      return false;
    }
    return this.secrets.some((_secret, generation) => timingSafeEqual(given, this.mac(payload, generation)));
  }

  private mac(payload: string, generation: number): Buffer {
    return createHmac('sha256', this.secrets[generation])
      .update('revocation')
      .update(JSON.stringify(this.channel))
      .update(payload)
      .digest();
  }
}

function filterMembers(filter: RevocationFilter): (string | null)[] {
  return [filter.sub ?? null, filter.sid ?? null, filter.clientId ?? null, filter.jti ?? null];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parsePayload(payload: unknown): OpenedRevocationMessage | undefined {
  if (!Array.isArray(payload) || typeof payload[1] !== 'string') {
    return undefined;
  }
  const instance = payload[1];
  if (payload[0] === 'evict' && payload.length === 3) {
    const key: unknown = payload[2];
    return typeof key === 'string' && key.length > 0 && key.length <= MAX_KEY_LENGTH
      ? { message: { kind: 'evict', key }, instance }
      : undefined;
  }
  if (
    payload[0] === 'cutoff' &&
    payload.length === 5 &&
    Array.isArray(payload[2]) &&
    payload[2].length === 4
  ) {
    const [sub, sid, clientId, jti] = (payload[2] as unknown[]).map((member) => member ?? undefined);
    const filter = parseRevocationFilter({ sub, sid, clientId, jti });
    const before: unknown = payload[3];
    const keepUntil: unknown = payload[4];
    if (filter !== undefined && Number.isFinite(before) && Number.isFinite(keepUntil)) {
      return {
        message: { kind: 'cutoff', filter, before: before as number, keepUntil: keepUntil as number },
        instance,
      };
    }
  }
  return undefined;
}
