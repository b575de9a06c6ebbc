/**
 * Freezes `value` and every plain object and array in it, in place, and
 * returns it. Results are shared (single-flight callers get the same one):
 * frozen, a caller mutating one throws in strict mode instead of changing
 * what other requests see. Other objects (class instances) are left alone.
 * @internal
 */
export function deepFreeze<T>(value: T): T {
  freeze(value, new Set());
  return value;
}

function freeze(value: unknown, seen: Set<object>): void {
  // A frozen object is done: in a result, only deepFreeze freezes anything,
  // so a cache hit frozen by the cache is not walked again by the service.
  if (typeof value !== 'object' || value === null || seen.has(value) || Object.isFrozen(value)) {
    return;
  }
  if (!Array.isArray(value) && !isPlainObject(value)) {
    return;
  }
  seen.add(value);
  for (const member of Object.values(value)) {
    freeze(member, seen);
  }
  Object.freeze(value);
}

/** An object literal or `Object.create(null)`, of any realm (`structuredClone` and `vm` make other realms' objects). */
function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

/**
 * A copy of `value` where every plain object and array is new (of this
 * realm); anything else is kept as is.
 * @internal
 */
export function plainCopy<T>(value: T): T {
  if (Array.isArray(value)) {
    return value.map((entry: unknown) => plainCopy(entry)) as T;
  }
  if (typeof value !== 'object' || value === null || !isPlainObject(value)) {
    return value;
  }
  return Object.fromEntries(Object.entries(value).map(([name, member]) => [name, plainCopy(member)])) as T;
}
