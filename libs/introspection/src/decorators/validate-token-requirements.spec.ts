import { RequireActiveToken } from './require-active-token.decorator';
import { validateTokenRequirements } from './validate-token-requirements';

describe('@RequireActiveToken() requirements, checked when the class is defined', () => {
  it.each([
    {},
    { scopes: [] },
    { scopes: ['read:payments', 'write:payments'] },
    { audience: 'payments-api' },
    { audience: ['payments-api', 'https://api.example.com'] },
    { server: 'partners' },
    { scopes: ['a'], audience: 'b', server: 'c' },
    { dpop: 'required' as const },
    { dpop: 'disabled' as const },
  ])('accepts %p', (requirements) => {
    expect(validateTokenRequirements(requirements)).toBe(requirements);
    expect(() => RequireActiveToken(requirements)).not.toThrow();
  });

  it.each<[string, unknown, RegExp]>([
    ['a scope string, read as one-letter scopes before', { scopes: 'admin' }, /scopes.*must be an array/],
    ['a scope with a space', { scopes: ['read payments'] }, /without spaces/],
    ['a non-string scope', { scopes: [42] }, /scopes/],
    ['an empty scope', { scopes: [''] }, /scopes/],
    [
      'a misspelt scope requirement, ignored before',
      { scope: ['admin'] },
      /unknown requirement\(s\) "scope"/,
    ],
    ['an empty audience list, no audience check before', { audience: [] }, /audience.*non-empty/],
    ['a blank audience', { audience: ' ' }, /audience/],
    ['a numeric audience', { audience: 7 }, /audience/],
    ['an empty server name', { server: '' }, /server/],
    ['a DPoP mode that does not exist', { dpop: true }, /dpop.*"disabled", "allowed" or "required"/],
    ['a non-object', 'read:payments', /takes an object/],
    ['null', null, /takes an object/],
    ['an array', [['read:payments']], /takes an object/],
  ])('refuses %s', (_label, requirements, message) => {
    expect(() => validateTokenRequirements(requirements)).toThrow(message);
    expect(() => RequireActiveToken(requirements as never)).toThrow(TypeError);
  });
});
