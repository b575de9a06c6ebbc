import { Keyv } from 'keyv';

/**
 * A Keyv store over a map whose every operation fails while `state.failing`
 * is set, the way a Redis that is down fails; `state.deletes` counts the
 * deletions tried.
 */
export function flakyStore(): {
  keyv: Keyv;
  map: Map<string, unknown>;
  state: { failing: boolean; deletes: number };
} {
  const map = new Map<string, unknown>();
  const state = { failing: false, deletes: 0 };
  const down = () => Promise.reject(new Error('store down'));
  const store = {
    get: (key: string) => (state.failing ? down() : Promise.resolve(map.get(key))),
    set: (key: string, value: unknown) =>
      state.failing ? down() : Promise.resolve(void map.set(key, value)),
    delete: (key: string) => {
      state.deletes++;
      return state.failing ? down() : Promise.resolve(map.delete(key));
    },
    clear: () => Promise.resolve(map.clear()),
  };
  return { keyv: new Keyv({ store, throwOnErrors: true }), map, state };
}
