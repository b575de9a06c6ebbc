import { thrown } from '../../test-support/thrown';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import { resolveDpopOptions } from './resolve-dpop-options';
import { resolveIntrospectionOptions } from './resolve-options';
import { resolveMtlsOptions } from './resolve-mtls-options';
import { resolvePublicUrl } from './resolve-request-origin-options';

const option = (fn: () => unknown) => thrown(IntrospectionConfigurationError, fn).option;

describe('resolveDpopOptions', () => {
  it('applies the defaults', () => {
    expect(resolveDpopOptions(undefined)).toStrictEqual({
      mode: 'allowed',
      nonce: false,
      nonceLifetimeMs: 300_000,
      algorithms: ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'],
      proofMaxAgeMs: 60_000,
    });
  });

  it.each([
    ['dpop', 'required'],
    ['dpop', { mode: 'required', nonces: true }],
    ['dpop.mode', { mode: 'on' }],
    ['dpop.nonce', { nonce: 'yes' }],
    ['dpop.proofMaxAge', { proofMaxAge: '0s' }],
    ['dpop.proofMaxAge', { proofMaxAge: '1h' }],
    ['dpop.nonceLifetime', { nonceLifetime: '10ms' }],
    ['dpop.algorithms', { algorithms: [] }],
    ['dpop.algorithms', { algorithms: ['none'] }],
    ['dpop.algorithms', { algorithms: ['HS256'] }],
    ['dpop.algorithms', { algorithms: ['ES257'] }],
  ])('refuses at boot, naming %s: %j', (name, value) => {
    expect(option(() => resolveDpopOptions(value))).toBe(name);
  });

  it('says why none and HMAC are refused', () => {
    expect(
      thrown(IntrospectionConfigurationError, () => resolveDpopOptions({ algorithms: ['HS256'] })).message,
    ).toContain('asymmetric key');
  });
});

describe('resolveMtlsOptions', () => {
  it('lower-cases the header and defaults the format to escaped-pem', () => {
    expect(resolveMtlsOptions({ certificateHeader: 'X-SSL-Client-Cert' }, ['127.0.0.1'])).toStrictEqual({
      certificateHeader: 'x-ssl-client-cert',
      certificateHeaderFormat: 'escaped-pem',
    });
  });

  it.each([
    ['mtls', 'x-ssl-client-cert', ['127.0.0.1']],
    ['mtls.certificateHeader', { certificateHeader: 'bad header' }, ['127.0.0.1']],
    ['mtls.certificateHeader', { certificateHeader: 'x-ssl-client-cert' }, []],
    ['mtls.certificateHeaderFormat', { certificateHeaderFormat: 'pem' }, []],
  ])('refuses at boot, naming %s: %j', (name, value, trustProxy) => {
    expect(option(() => resolveMtlsOptions(value, trustProxy))).toBe(name);
  });
});

describe('resolvePublicUrl', () => {
  it('keeps the origin', () => {
    expect(resolvePublicUrl('HTTPS://API.example.com:443')).toBe('https://api.example.com');
    expect(resolvePublicUrl('http://127.0.0.1:4000/')).toBe('http://127.0.0.1:4000');
    expect(resolvePublicUrl(undefined)).toBeUndefined();
  });

  it.each([
    'api.example.com',
    'ftp://api.example.com',
    'https://api.example.com/v1',
    'https://u:p@api.example.com',
    'https://api.example.com/?x',
    42,
  ])('refuses %p, naming publicUrl', (value) => {
    expect(option(() => resolvePublicUrl(value))).toBe('publicUrl');
  });
});

describe('dpop.mode "required"', () => {
  const base = {
    endpoint: 'https://as.example.com/introspect',
    clientId: 'api',
    clientSecret: 's',
    dpop: { mode: 'required' },
  };

  it('needs publicUrl or trustProxy, or no proof could ever be checked', () => {
    expect(option(() => resolveIntrospectionOptions(base))).toBe('publicUrl');
    expect(resolveIntrospectionOptions({ ...base, publicUrl: 'https://api.example.com' }).dpop.mode).toBe(
      'required',
    );
    expect(resolveIntrospectionOptions({ ...base, trustProxy: 'loopback' }).trustProxy).toHaveLength(2);
  });
});
