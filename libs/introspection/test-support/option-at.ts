/**
 * Module options holding `value` at `path`: a top-level option (`'realm'`)
 * or a member of a group (`'cache.ttl'` -> `{ cache: { ttl } }`), on top of
 * `base`, whose groups are kept.
 */
export function optionAt(
  path: string,
  value: unknown,
  base: Record<string, unknown> = {},
): Record<string, unknown> {
  const [group, member] = path.split('.');
  if (member === undefined) {
    return { ...base, [group]: value };
  }
  return { ...base, [group]: { ...(base[group] as object | undefined), [member]: value } };
}

/** The option groups, merged member by member by {@link mergeOptions}. */
const GROUPS = new Set(['cache', 'transport', 'breaker']);

/**
 * `base` with `overrides` on top, as a test's defaults and a case's
 * settings: top-level options replaced, option groups (`cache`,
 * `transport`, `breaker`) merged member by member.
 */
export function mergeOptions<T extends object>(base: T, overrides: object = {}): T {
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [name, value] of Object.entries(overrides)) {
    const current = merged[name];
    merged[name] =
      GROUPS.has(name) && isPlainObject(current) && isPlainObject(value) ? { ...current, ...value } : value;
  }
  return merged as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
