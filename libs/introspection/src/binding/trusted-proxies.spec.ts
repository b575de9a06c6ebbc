import { thrown } from '../../test-support/thrown';
import { resolveTrustProxy } from '../config/resolve-request-origin-options';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { TrustedProxies } from './trusted-proxies';

describe('trustProxy', () => {
  it('matches addresses and CIDR ranges, IPv4 peers seen as IPv4-mapped IPv6 too', () => {
    const proxies = new TrustedProxies(resolveTrustProxy('loopback, 10.0.0.0/8, 192.168.1.7, fd00::/8'));
    for (const address of [
      '127.0.0.1',
      '127.9.9.9',
      '::1',
      '::ffff:127.0.0.1',
      '10.200.0.1',
      '192.168.1.7',
      'fd12::1',
    ]) {
      expect(proxies.contains(address)).toBe(true);
    }
    for (const address of [
      '11.0.0.1',
      '192.168.1.8',
      'fe80::1',
      '::ffff:11.0.0.1',
      'localhost',
      '',
      undefined,
    ]) {
      expect(proxies.contains(address)).toBe(false);
    }
  });

  it('trusts nobody by default', () => {
    expect(new TrustedProxies(resolveTrustProxy(undefined)).contains('127.0.0.1')).toBe(false);
  });

  it.each(['localhost', '10.0.0.0/33', '10.0.0.0/x', '10.0.0.0/8/1', 'fd00::/129', '*'])(
    'refuses %p at boot, naming trustProxy',
    (entry) => {
      const error = thrown(IntrospectionConfigurationError, () => resolveTrustProxy(['127.0.0.1', entry]));
      expect(error.option).toBe('trustProxy');
      expect(error.message).toContain('INTROSPECTION_TRUST_PROXY');
    },
  );
});
