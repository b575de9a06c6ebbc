import fc from 'fast-check';
import { duplicateTopLevelMember } from './duplicate-members';

describe('duplicateTopLevelMember', () => {
  it.each<[string, string | undefined]>([
    ['{"active":true}', undefined],
    ['{"active":false,"active":true}', 'active'],
    ['{"active":true,"\\u0061ctive":false}', 'active'],
    [' { "scope" : "a" , "scope" : "b" } ', 'scope'],
    ['{"a":{"x":1,"x":2},"b":[{"y":1},{"y":1}]}', undefined],
    ['{"a":"\\",\\"a\\":","b":1}', undefined],
    ['{"a":"}{","a":1}', 'a'],
    ['{"a":[1,{"b":2}],"b":3,"a":4}', 'a'],
    ['{}', undefined],
  ])('finds the duplicate in %s: %p', (json, expected) => {
    expect(duplicateTopLevelMember(json)).toBe(expected);
  });

  it('agrees with a key count after JSON.parse on generated objects', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })), { maxLength: 6 }),
        (members) => {
          const json = `{${members.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`;
          const keys = members.map(([key]) => key);
          const hasDuplicate = new Set(keys).size !== keys.length;
          expect(duplicateTopLevelMember(json) !== undefined).toBe(hasDuplicate);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
