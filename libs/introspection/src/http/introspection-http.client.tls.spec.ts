import { Test, TestingModule } from '@nestjs/testing';
import { mergeOptions } from '../../test-support/option-at';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { IntrospectionUnavailableError } from '../errors/introspection.errors';
import type { IntrospectionModuleOptions } from '../interfaces/introspection-options.interface';
import { IntrospectionModule } from '../introspection.module';
import { IntrospectionService } from '../introspection.service';
import { makePki, type Pki } from '../../test-support/pki';
import { rejectionOf } from '../../test-support/rejection-of';
import { TRANSPORT_CLIENTS } from '../../test-support/transport-clients';

// The tls option against a real TLS server with a private CA that requires a
// client certificate (mutual TLS). Certificates are made with openssl per run.

const TOKEN = 'dGxzLXRva2Vu';

describe.each(TRANSPORT_CLIENTS)('IntrospectionHttpClient over TLS with %s', (client) => {
  let dir: string;
  let pki: Pki;
  let server: Server;
  let endpoint: string;
  let clientNames: string[];
  let moduleRef: TestingModule | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'introspection-tls-'));
    pki = makePki(dir);
    server = createServer(
      { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        clientNames.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN));
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ active: true, token_type: 'Bearer' }));
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;
  }, 30_000);

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    clientNames = [];
  });

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  async function service(options: Partial<IntrospectionModuleOptions>): Promise<IntrospectionService> {
    moduleRef = await Test.createTestingModule({
      imports: [
        IntrospectionModule.forRoot(
          mergeOptions(
            {
              endpoint,
              clientId: 'orders-api',
              clientSecret: 'secret',
              breaker: { threshold: 0 },
              transport: { client },
            },
            options,
          ),
        ),
      ],
    }).compile();
    await moduleRef.init();
    return moduleRef.get(IntrospectionService);
  }

  it('trusts the private CA and presents the client certificate (mTLS)', async () => {
    const introspection = await service({
      transport: { tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } },
    });
    expect((await introspection.introspect(TOKEN)).active).toBe(true);
    expect(clientNames).toEqual(['orders-api']);
  });

  it('refuses a server whose CA is not trusted, without retrying', async () => {
    const introspection = await service({ transport: { tls: { cert: pki.clientCert, key: pki.clientKey } } });
    const error = await rejectionOf(introspection.introspect(TOKEN));
    expect(error).toBeInstanceOf(IntrospectionUnavailableError);
    expect(error.message).toMatch(
      /could not be reached \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)\)/,
    );
    expect(clientNames).toEqual([]);
  });

  it('is refused by the server without a client certificate', async () => {
    const introspection = await service({ transport: { tls: { ca: pki.ca } } });
    expect(await rejectionOf(introspection.introspect(TOKEN))).toBeInstanceOf(IntrospectionUnavailableError);
    expect(clientNames).toEqual([]);
  });
});
