import { runInNewContext } from 'node:vm';
import { deepFreeze, plainCopy } from './freeze-result';

describe('deepFreeze', () => {
  it('freezes nested plain objects and arrays, also of another realm and with cycles', () => {
    const foreign = runInNewContext('({ roles: ["user"] })') as { roles: string[] };
    const value: Record<string, unknown> = { a: [{ b: 1 }], foreign, bare: Object.create(null) as object };
    value.self = value;
    deepFreeze(value);
    for (const part of [value, value.a, (value.a as object[])[0], foreign, foreign.roles, value.bare]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
  });

  it('leaves class instances alone', () => {
    const date = new Date(0);
    deepFreeze({ date });
    expect(Object.isFrozen(date)).toBe(false);
  });
});

describe('plainCopy', () => {
  it('copies plain objects and arrays, keeping own __proto__ members as data', () => {
    const source = JSON.parse('{"a":[{"b":1}],"__proto__":{"polluted":true}}') as Record<string, unknown>;
    const copy = plainCopy(source);
    expect(copy).toEqual(source);
    expect(copy.a).not.toBe(source.a);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
  });
});
