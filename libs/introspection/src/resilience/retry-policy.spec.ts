import { backoffDelayMs, isRetryableCode, isRetryableStatus } from './retry-policy';

describe('retry policy', () => {
  it.each([502, 503, 504])('retries HTTP %i', (status) => {
    expect(isRetryableStatus(status)).toBe(true);
  });

  it.each([200, 301, 307, 400, 401, 403, 404, 429, 500, 501, 505])('never retries HTTP %i', (status) => {
    expect(isRetryableStatus(status)).toBe(false);
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ERR_NETWORK'])(
    'retries a %s connection failure',
    (code) => {
      expect(isRetryableCode(code)).toBe(true);
    },
  );

  it.each([undefined, 'ERR_CANCELED', 'ERR_FR_TOO_MANY_REDIRECTS', 'CERT_HAS_EXPIRED'])(
    'never retries %p',
    (code) => {
      expect(isRetryableCode(code)).toBe(false);
    },
  );

  it('draws each delay between 0 and base * 2^(retry-1) (full jitter)', () => {
    expect(backoffDelayMs(1, 100, () => 0)).toBe(0);
    expect(backoffDelayMs(1, 100, () => 0.999)).toBe(99);
    expect(backoffDelayMs(2, 100, () => 0.5)).toBe(100);
    expect(backoffDelayMs(3, 100, () => 0.999)).toBe(399);
  });
});
