import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePki, type Pki } from '../libs/introspection/test-support/pki';
import type { HttpAnswer } from '../libs/introspection/test-support/http-request';
import { TestAuthorizationServer } from './support/authorization-server';
import { ADAPTERS, authorizationServerEnv, RunningDemo, startDemo } from './support/demo-app';
import { bearer, send } from './support/http';

// Certificate-bound tokens (RFC 8705 §3) from a real oidc-provider: it binds
// the token to the client's certificate and answers its introspection with
// token_type Bearer plus cnf.x5t#S256. The demo API checks the certificate
// of every request: from its own TLS connection (an HTTPS server with
// requestCert), or from the header of a trusted TLS-terminating proxy.

const NONE = `Bearer realm="demo", error="invalid_token", error_description="The access token is bound to a client certificate (cnf x5t#S256) and the request presented none."`;
const OTHER = `Bearer realm="demo", error="invalid_token", error_description="The access token is bound to another client certificate than the one presented (cnf x5t#S256)."`;

let as: TestAuthorizationServer;
let dir: string;
let pki: Pki;
/** A self-signed client certificate the token is not bound to. */
let other: { cert: string; key: string };

/** The base64 DER of a PEM certificate, as the test server binds tokens to it. */
const der = (pem: string) => pem.replace(/-----(?:BEGIN|END) CERTIFICATE-----|\s/g, '');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mtls-'));
  pki = makePki(dir);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'other.key',
    ].concat(['-out', 'other.crt', '-days', '1', '-subj', '/CN=other-client']),
    { cwd: dir, stdio: 'pipe' },
  );
  other = {
    cert: readFileSync(join(dir, 'other.crt'), 'utf8'),
    key: readFileSync(join(dir, 'other.key'), 'utf8'),
  };
  as = await TestAuthorizationServer.start();
});

afterAll(async () => {
  await as?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A GET over TLS, with a client certificate when `client` is given. */
function tlsGet(
  url: string,
  headers: Record<string, string>,
  client?: { cert: string; key: string },
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, ca: pki.ca, ...client, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          json: <T>() => JSON.parse(body) as T,
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each(ADAPTERS)('certificate-bound tokens over TLS, demo API on %s', (adapter) => {
  describe.each([
    ['without a cache', {}],
    ['with a cache (the certificate is checked on cache hits)', { INTROSPECTION_TTL: '60s' }],
  ])('%s', (_label, extra: Record<string, string>) => {
    let demo: RunningDemo;

    beforeAll(async () => {
      demo = await startDemo(adapter, authorizationServerEnv(as, extra), {
        // RFC 8705 §2.2: self-signed certificates are allowed; the binding, not the chain, counts.
        httpsOptions: {
          key: pki.serverKey,
          cert: pki.serverCert,
          ca: pki.ca,
          requestCert: true,
          rejectUnauthorized: false,
        },
      });
    });

    afterAll(async () => {
      await demo?.close();
    });

    const client = () => ({ cert: pki.clientCert, key: pki.clientKey });

    it('answers 200 for a plain bearer token (the control case)', async () => {
      const token = await as.mintToken('read:payments');
      expect((await tlsGet(`${demo.url}/payments`, bearer(token))).status).toBe(200);
    });

    it('answers 200 with the certificate the token is bound to', async () => {
      const token = await as.mintCertificateBoundToken(der(pki.clientCert));
      const answer = await tlsGet(`${demo.url}/payments`, bearer(token), client());
      expect(answer.status).toBe(200);
      expect(answer.body).toContain('amount');
    });

    it('answers 401 invalid_token with another certificate, and with none, on every request', async () => {
      const token = await as.mintCertificateBoundToken(der(pki.clientCert));
      const before = await as.introspectionCount();
      expect((await tlsGet(`${demo.url}/payments`, bearer(token), client())).status).toBe(200);
      for (let i = 0; i < 2; i++) {
        const wrong = await tlsGet(`${demo.url}/payments`, bearer(token), other);
        expect(wrong.status).toBe(401);
        expect(wrong.headers['www-authenticate']).toBe(OTHER);
        const none = await tlsGet(`${demo.url}/payments`, bearer(token));
        expect(none.status).toBe(401);
        expect(none.headers['www-authenticate']).toBe(NONE);
        expect(none.body).not.toContain('amount');
      }
      // With a cache, the refusals came from the cached answer, checked again.
      expect(await as.introspectionCount()).toBe(before + (extra.INTROSPECTION_TTL ? 1 : 5));
    });
  });
});

describe.each(ADAPTERS)(
  'certificate-bound tokens behind a TLS-terminating proxy, demo API on %s',
  (adapter) => {
    const proxied = (format: 'escaped-pem' | 'xfcc', trustProxy = 'loopback') => {
      const suite = {} as { demo: RunningDemo };
      beforeAll(async () => {
        suite.demo = await startDemo(
          adapter,
          authorizationServerEnv(as, {
            INTROSPECTION_TRUST_PROXY: trustProxy,
            INTROSPECTION_MTLS_CERTIFICATE_HEADER:
              format === 'xfcc' ? 'X-Forwarded-Client-Cert' : 'X-SSL-Client-Cert',
            INTROSPECTION_MTLS_CERTIFICATE_HEADER_FORMAT: format,
          }),
        );
      });
      afterAll(async () => {
        await suite.demo?.close();
      });
      return suite;
    };

    describe('nginx $ssl_client_escaped_cert from a trusted proxy', () => {
      const suite = proxied('escaped-pem');

      it('answers 200 for the bound certificate, 401 for another or none', async () => {
        const token = await as.mintCertificateBoundToken(der(pki.clientCert));
        const call = (cert?: string) =>
          send(`${suite.demo.url}/payments`, {
            headers: { ...bearer(token), ...(cert ? { 'x-ssl-client-cert': encodeURIComponent(cert) } : {}) },
          });
        expect((await call(pki.clientCert)).status).toBe(200);
        const wrong = await call(other.cert);
        expect(wrong.status).toBe(401);
        expect(wrong.headers['www-authenticate']).toBe(OTHER);
        const none = await call();
        expect(none.headers['www-authenticate']).toBe(NONE);
      });
    });

    describe("Envoy's x-forwarded-client-cert from a trusted proxy", () => {
      const suite = proxied('xfcc');

      it('answers 200 for the bound certificate in the Cert element of the last hop', async () => {
        const token = await as.mintCertificateBoundToken(der(pki.clientCert));
        const element = (cert: string) =>
          `By=spiffe://api.example.com;Hash=abc;Cert="${encodeURIComponent(cert)}";Subject="CN=client,O=Example"`;
        const call = (value: string) =>
          send(`${suite.demo.url}/payments`, {
            headers: { ...bearer(token), 'x-forwarded-client-cert': value },
          });
        expect((await call(element(pki.clientCert))).status).toBe(200);
        // The nearest proxy appends its client's element last: an earlier hop's certificate does not count.
        const earlier = await call(`${element(pki.clientCert)},${element(other.cert)}`);
        expect(earlier.status).toBe(401);
        expect(earlier.headers['www-authenticate']).toBe(OTHER);
      });
    });

    describe('the header from a peer that is not a trusted proxy', () => {
      const suite = proxied('escaped-pem', '10.0.0.0/8');

      it('is ignored: the request presented no certificate', async () => {
        const token = await as.mintCertificateBoundToken(der(pki.clientCert));
        const answer = await send(`${suite.demo.url}/payments`, {
          headers: { ...bearer(token), 'x-ssl-client-cert': encodeURIComponent(pki.clientCert) },
        });
        expect(answer.status).toBe(401);
        expect(answer.headers['www-authenticate']).toBe(NONE);
      });
    });
  },
);
