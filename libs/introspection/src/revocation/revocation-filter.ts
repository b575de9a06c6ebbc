import type { RevocationFilter } from '../interfaces/revocation.interface';

/** The bit of each filter member in a shape mask, in canonical order. */
export const SUB = 1;
export const SID = 2;
export const CLIENT_ID = 4;
export const JTI = 8;

/** Longest member value accepted, in characters: bounds the work per marker and message. */
export const MAX_MEMBER_LENGTH = 1024;

/**
 * `filter` with only its members, when it is a valid revocation filter: at
 * least one of `sub`, `sid`, `clientId`, `jti`, each a non-empty string of at
 * most {@link MAX_MEMBER_LENGTH} characters; `undefined` otherwise.
 * @internal
 */
export function parseRevocationFilter(filter: unknown): RevocationFilter | undefined {
  if (typeof filter !== 'object' || filter === null) {
    return undefined;
  }
  const { sub, sid, clientId, jti } = filter as Record<string, unknown>;
  const members = [sub, sid, clientId, jti];
  if (!members.some((value) => value !== undefined) || !members.every(isMemberOrAbsent)) {
    return undefined;
  }
  return {
    ...(sub === undefined ? {} : { sub: sub as string }),
    ...(sid === undefined ? {} : { sid: sid as string }),
    ...(clientId === undefined ? {} : { clientId: clientId as string }),
    ...(jti === undefined ? {} : { jti: jti as string }),
  };
}

function isMemberOrAbsent(value: unknown): boolean {
  return (
    value === undefined ||
    (typeof value === 'string' && value.length > 0 && value.length <= MAX_MEMBER_LENGTH)
  );
}

/** The shape mask of `filter`: which members it has. @internal */
export function filterShape(filter: RevocationFilter): number {
  return (
    (filter.sub === undefined ? 0 : SUB) |
    (filter.sid === undefined ? 0 : SID) |
    (filter.clientId === undefined ? 0 : CLIENT_ID) |
    (filter.jti === undefined ? 0 : JTI)
  );
}

/**
 * The canonical key of the members of `shape` among the given values: the
 * shape, then each member's length and value. Length prefixes make it
 * unambiguous whatever the values contain, so two filters share a key exactly
 * when they have the same members with the same values.
 * @internal
 */
export function shapeKey(
  shape: number,
  sub: string | undefined,
  sid: string | undefined,
  clientId: string | undefined,
  jti: string | undefined,
): string {
  let key = String.fromCharCode(64 + shape);
  if (shape & SUB) key += `${sub!.length}:${sub}`;
  if (shape & SID) key += `${sid!.length}:${sid}`;
  if (shape & CLIENT_ID) key += `${clientId!.length}:${clientId}`;
  if (shape & JTI) key += `${jti!.length}:${jti}`;
  return key;
}

/** The canonical key of `filter` (see {@link shapeKey}). @internal */
export function revocationFilterKey(filter: RevocationFilter): string {
  return shapeKey(filterShape(filter), filter.sub, filter.sid, filter.clientId, filter.jti);
}
