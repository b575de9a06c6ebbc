import type { Duration } from '../interfaces/introspection-options.interface';
import { parseDuration } from './duration';

describe('parseDuration', () => {
  describe('numbers count seconds', () => {
    it.each([
      [0, 0],
      [1, 1_000],
      [30, 30_000],
      [0.5, 500],
      [-1, -1_000],
    ])('%p -> %p ms', (input, expected) => {
      expect(parseDuration(input)).toBe(expected);
    });

    it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('%p -> undefined', (input) => {
      expect(parseDuration(input)).toBeUndefined();
    });
  });

  describe('numeric strings count seconds', () => {
    it.each([
      ['0', 0],
      ['30', 30_000],
      ['0.5', 500],
      ['.5', 500],
      ['-5', -5_000],
      ['+5', 5_000],
      [' 30 ', 30_000],
    ])('%p -> %p ms', (input, expected) => {
      expect(parseDuration(input)).toBe(expected);
    });
  });

  describe('Go duration strings', () => {
    it.each([
      ['500ms', 500],
      ['90s', 90_000],
      ['1m', 60_000],
      ['1m30s', 90_000],
      ['1h', 3_600_000],
      ['1h30m', 5_400_000],
      ['1.5h', 5_400_000],
      ['2h45m30s500ms', 9_930_500],
      ['.5s', 500],
      ['1.s', 1_000],
      ['0s', 0],
      ['-1s', -1_000],
      ['-1m30s', -90_000],
      ['+2s', 2_000],
      ['1000us', 1],
      ['1000µs', 1], // U+00B5 MICRO SIGN
      ['1000μs', 1], // U+03BC GREEK SMALL LETTER MU
      ['1000000ns', 1],
      [' 90s ', 90_000],
    ])('%p -> %p ms', (input, expected) => {
      expect(parseDuration(input)).toBe(expected);
    });
  });

  describe('anything else is not a duration', () => {
    it.each([
      '',
      '   ',
      'abc',
      's',
      'ms',
      '1x',
      '1d',
      '1H',
      '1S',
      '1 s',
      '1m 30s',
      '1m30',
      '30s1',
      '1.2.3s',
      '--1s',
      '1s-1s',
      '-',
      '.',
      '.s',
      '1e3',
      '1e3s',
      'Infinity',
      'NaN',
      '0x10',
    ])('%p -> undefined', (input) => {
      expect(parseDuration(input)).toBeUndefined();
    });

    it.each<unknown>([null, undefined, true, {}, [], ['1s']])(
      'non-string, non-number %p -> undefined',
      (input) => {
        // Async factories bypass the type checker, so any value can arrive here.
        expect(parseDuration(input as Duration)).toBeUndefined();
      },
    );
  });
});
