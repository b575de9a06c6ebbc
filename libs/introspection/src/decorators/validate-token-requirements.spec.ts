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
    { acrValues: ['urn:example:mfa'] },
    { acrValues: ['urn:example:mfa', 'phr'], maxAge: '5m' },
    { maxAge: 300 },
    { maxAge: 0 },
    { maxAge: '1h30m' },
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
    ['an acr string, not a list', { acrValues: 'urn:example:mfa' }, /acrValues.*non-empty array/],
    ['an empty acr list, no step-up at all', { acrValues: [] }, /acrValues.*non-empty array/],
    ['an acr value with a space', { acrValues: ['a b'] }, /acrValues.*without spaces/],
    ['an acr value with a double quote', { acrValues: ['a"b'] }, /acrValues/],
    ['a maxAge that is not a duration', { maxAge: 'five minutes' }, /maxAge.*duration/],
    ['a negative maxAge', { maxAge: -1 }, /maxAge.*at least 0/],
    ['a maxAge of a fraction of a second', { maxAge: '1500ms' }, /maxAge.*whole number of seconds/],
    ['a misspelt step-up requirement', { acr_values: ['x'] }, /unknown requirement\(s\) "acr_values"/],
    ['a non-object', 'read:payments', /takes an object/],
    ['null', null, /takes an object/],
    ['an array', [['read:payments']], /takes an object/],
  ])('refuses %s', (_label, requirements, message) => {
    expect(() => validateTokenRequirements(requirements)).toThrow(message);
    expect(() => RequireActiveToken(requirements as never)).toThrow(TypeError);
  });
});
