import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePki, type Pki } from '../../test-support/pki';
import { certificateThumbprint, clientCertificate, xfccCertificate } from './client-certificate';
import { TrustedProxies } from './trusted-proxies';

describe('client certificates (RFC 8705 §3)', () => {
  let dir: string;
  let pki: Pki;
  let der: Buffer;
  const loopback = new TrustedProxies(['127.0.0.0/8']);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'client-certificate-'));
    pki = makePki(dir);
    der = new X509Certificate(pki.clientCert).raw;
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const header = { certificateHeader: 'x-ssl-client-cert' };
  const fromProxy = (
    value: string | undefined,
    remoteAddress = '127.0.0.1',
    format: 'escaped-pem' | 'xfcc' = 'escaped-pem',
  ) =>
    clientCertificate(
      { headers: { 'x-ssl-client-cert': value }, socket: { remoteAddress } },
      { ...header, certificateHeaderFormat: format },
      loopback,
    );

  it('reads the escaped PEM of a trusted proxy', () => {
    expect(fromProxy(encodeURIComponent(pki.clientCert))).toStrictEqual(der);
  });

  it('ignores the header from any other peer, and garbage from a trusted one', () => {
    expect(fromProxy(encodeURIComponent(pki.clientCert), '10.1.2.3')).toBeUndefined();
    expect(fromProxy('not%20a%20certificate')).toBeUndefined();
    expect(fromProxy('%E0%A4%A')).toBeUndefined();
    expect(fromProxy(undefined)).toBeUndefined();
  });

  it("reads the TLS socket's certificate when no header is configured", () => {
    const socket = { remoteAddress: '10.1.2.3', getPeerCertificate: () => ({ raw: der }) };
    expect(
      clientCertificate({ headers: {}, socket }, { certificateHeaderFormat: 'escaped-pem' }, loopback),
    ).toStrictEqual(der);
    // Without a client certificate, Node answers an empty object.
    expect(
      clientCertificate(
        { headers: {}, socket: { getPeerCertificate: () => ({}) } },
        { certificateHeaderFormat: 'escaped-pem' },
        loopback,
      ),
    ).toBeUndefined();
  });

  it('thumbprints base64url(SHA-256(DER))', () => {
    expect(certificateThumbprint(Buffer.from('abc'))).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  describe('xfccCertificate (Envoy x-forwarded-client-cert)', () => {
    it.each([
      ['Cert="a%2Cb";Subject="CN=x,O=y"', 'a%2Cb'],
      ['By=spiffe://x;Hash=h;Cert="first",By=spiffe://y;Cert="last";URI=spiffe://c', 'last'],
      ['Hash=h;cert=unquoted', 'unquoted'],
      ['Cert="with \\"escaped\\" quotes"', 'with "escaped" quotes'],
      ['Cert="first",Hash=h', undefined],
      ['Hash=h', undefined],
      ['', undefined],
      ['Cert=""', undefined],
    ])('%p gives %p', (value, expected) => {
      expect(xfccCertificate(value)).toBe(expected);
    });

    it('reads the last element of a trusted proxy', () => {
      const value = `Cert="x",By=spiffe://y;Cert="${encodeURIComponent(pki.clientCert)}"`;
      expect(fromProxy(value, '127.0.0.1', 'xfcc')).toStrictEqual(der);
    });
  });
});
