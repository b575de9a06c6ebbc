import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TestAuthorizationServer } from './support/authorization-server';
import { ADAPTERS, authorizationServerEnv, ManualClock, RunningDemo, startDemo } from './support/demo-app';
import { ath, dpopHeaders, DpopKey, mintDpopToken } from './support/dpop';
import { bearer, send } from './support/http';
import { REDIS_URL } from './support/redis';

// DPoP (RFC 9449) against a real oidc-provider: it binds the access token to
// the client's key (token_type DPoP, cnf.jkt in the introspection answer);
// the demo API checks the proof that comes with every request.

const PUBLIC_URL = 'https://api.example.com';
const ME = `${PUBLIC_URL}/me`;
const ALGS = 'ES256 ES384 EdDSA RS256 PS256';
const proofError = (description: string) =>
  `Bearer realm="demo", DPoP realm="demo", algs="${ALGS}", error="invalid_dpop_proof", error_description="${description}"`;

let as: TestAuthorizationServer;

beforeAll(async () => {
  as = await TestAuthorizationServer.start();
});

afterAll(async () => {
  await as?.stop();
});

/** A demo on `adapter` with `publicUrl` and `env` set, closed after the enclosing suite. */
function demoForSuite(adapter: 'express' | 'fastify', env: Record<string, string> = {}, clock?: ManualClock) {
  const suite = {} as { demo: RunningDemo };
  beforeAll(async () => {
    suite.demo = await startDemo(
      adapter,
      authorizationServerEnv(as, { INTROSPECTION_PUBLIC_URL: PUBLIC_URL, ...env }),
      clock ? { clock } : {},
    );
  });
  afterAll(async () => {
    await suite.demo?.close();
  });
  return suite;
}

describe.each(ADAPTERS)('DPoP-bound tokens, demo API on %s', (adapter) => {
  const suite = demoForSuite(adapter);
  let key: DpopKey;
  let token: string;

  beforeAll(async () => {
    key = await DpopKey.generate();
    token = await mintDpopToken(as, key);
  });

  const call = async (proof?: string | string[], path = '/me', headers: Record<string, string> = {}) =>
    send(`${suite.demo.url}${path}`, { headers: { ...dpopHeaders(token, proof), ...headers } });

  const expectProofError = async (
    proof: string | string[] | undefined,
    description: string,
    path?: string,
  ) => {
    const answer = await call(proof, path);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(proofError(description));
    expect(answer.json()).toMatchObject({ error: 'invalid_dpop_proof' });
  };

  it('answers 200 for a valid proof, the token introspected as DPoP', async () => {
    const answer = await call(await key.proofFor('GET', ME, token));
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({ active: true, tokenType: 'DPoP' });
  });

  it('refuses a proof used before (jti), with the same token and request', async () => {
    const proof = await key.proofFor('GET', ME, token);
    expect((await call(proof)).status).toBe(200);
    await expectProofError(proof, 'The DPoP proof was used before (jti).');
  });

  it('refuses a request with no proof, or two', async () => {
    await expectProofError(undefined, 'The request carries no DPoP proof.');
    await expectProofError(
      [await key.proofFor('GET', ME, token), await key.proofFor('GET', ME, token)],
      'The request carries more than one DPoP header.',
    );
  });

  it('refuses a proof whose typ is not dpop+jwt', async () => {
    const proof = await key.proof({ htm: 'GET', htu: ME, ath: ath(token) }, { typ: 'JWT' });
    await expectProofError(proof, "The DPoP proof's typ is not dpop+jwt.");
  });

  it.each([
    ['none', ''],
    ['HS256', 'c2lnbmF0dXJl'],
  ])('refuses alg %s', async (alg, signature) => {
    const [, payload] = (await key.proofFor('GET', ME, token)).split('.');
    const header = Buffer.from(JSON.stringify({ alg, typ: 'dpop+jwt', jwk: key.jwk })).toString('base64url');
    await expectProofError(
      `${header}.${payload}.${signature || 'AA'}`,
      `The DPoP proof's alg is not one of ${ALGS.split(' ').join(', ')}.`,
    );
  });

  it('refuses a proof whose jwk header holds the private key', async () => {
    const proof = await key.proof({ htm: 'GET', htu: ME, ath: ath(token) }, { jwk: key.privateJwk });
    await expectProofError(proof, "The DPoP proof's jwk holds a private key.");
  });

  it('refuses a proof whose signature does not verify', async () => {
    const [header, payload, signature] = (await key.proofFor('GET', ME, token)).split('.');
    const other = Buffer.from(signature, 'base64url');
    other[5] ^= 1;
    await expectProofError(
      `${header}.${payload}.${other.toString('base64url')}`,
      'The DPoP proof signature does not verify with its jwk.',
    );
  });

  it('refuses a proof for another method (htm)', async () => {
    await expectProofError(
      await key.proofFor('POST', ME, token),
      "The DPoP proof's htm is not the request method.",
    );
  });

  describe('htu', () => {
    const HTU = "The DPoP proof's htu is not the request URI.";

    it.each([
      ['with a query of its own, ignored', `${ME}?page=2`],
      [
        'after normalisation (case, default port, encoded unreserved characters)',
        'HTTPS://API.Example.COM:443/%6De',
      ],
    ])('accepts an htu %s', async (_label, htu) => {
      expect((await call(await key.proofFor('GET', htu, token))).status).toBe(200);
    });

    it("accepts a request with a query, the proof's htu without it", async () => {
      expect((await call(await key.proofFor('GET', ME, token), '/me?verbose=1')).status).toBe(200);
    });

    it.each([
      ['with a trailing slash', `${ME}/`],
      ['for another scheme', 'http://api.example.com/me'],
      ['for another host', 'https://evil.example.com/me'],
      ['for another path', `${PUBLIC_URL}/payments`],
      ['that is not a URL', 'me'],
    ])('refuses an htu %s', async (_label, htu) => {
      await expectProofError(await key.proofFor('GET', htu, token), HTU);
    });

    it('ignores X-Forwarded-Host from a peer that is not a trusted proxy', async () => {
      const answer = await call(await key.proofFor('GET', 'https://evil.example.com/me', token), '/me', {
        'x-forwarded-host': 'evil.example.com',
      });
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe(proofError(HTU));
    });
  });

  it.each([
    ['stale (issued 2 minutes ago)', -120_000, 'The DPoP proof is too old (iat).'],
    ['from the future (1 minute ahead)', 60_000, 'The DPoP proof is issued in the future (iat).'],
  ])('refuses a proof %s', async (_label, offset, description) => {
    await expectProofError(await key.proofFor('GET', ME, token, {}, Date.now() + offset), description);
  });

  it.each([
    ['without ath', undefined],
    ['whose ath is the hash of another token', ath('another-token')],
  ])('refuses a proof %s', async (_label, value) => {
    await expectProofError(
      await key.proofFor('GET', ME, token, { ath: value }),
      "The DPoP proof's ath is not the hash of the access token.",
    );
  });

  it("refuses a valid proof of another key (not the token's cnf.jkt)", async () => {
    const other = await DpopKey.generate();
    await expectProofError(
      await other.proofFor('GET', ME, token),
      'The DPoP proof is not signed with the key the access token is bound to.',
    );
  });

  it('refuses the DPoP-bound token sent as Bearer: 401 invalid_token, DPoP offered beside Bearer', async () => {
    const answer = await send(`${suite.demo.url}/me`, {
      headers: { ...bearer(token), dpop: await key.proofFor('GET', ME, token) },
    });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(
      `Bearer realm="demo", error="invalid_token", error_description="The access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof.", DPoP realm="demo", algs="${ALGS}"`,
    );
  });

  it('refuses a bearer token sent with the DPoP scheme, even with a valid proof', async () => {
    const plain = await as.mintToken('read:payments');
    const answer = await send(`${suite.demo.url}/me`, {
      headers: dpopHeaders(plain, await key.proofFor('GET', ME, plain)),
    });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(
      `Bearer realm="demo", DPoP realm="demo", algs="${ALGS}", error="invalid_token", error_description="The access token is not DPoP-bound; send it with the Bearer scheme."`,
    );
  });

  it('keeps plain bearer tokens working (dpop mode "allowed")', async () => {
    const plain = await as.mintToken('read:payments');
    const answer = await send(`${suite.demo.url}/me`, { headers: bearer(plain) });
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({ tokenType: 'Bearer' });
  });

  it('applies scopes after the binding: 403 for a valid proof without the scope', async () => {
    const answer = await send(`${suite.demo.url}/payments`, {
      method: 'POST',
      headers: dpopHeaders(token, await key.proofFor('POST', `${PUBLIC_URL}/payments`, token)),
    });
    expect(answer.status).toBe(403);
    expect(answer.headers['www-authenticate']).toBe(
      `Bearer realm="demo", DPoP realm="demo", algs="${ALGS}", error="insufficient_scope", error_description="The access token lacks a required scope.", scope="write:payments"`,
    );
  });
});

describe.each(ADAPTERS)('DPoP with the introspection cache, demo API on %s', (adapter) => {
  const suite = demoForSuite(adapter, { INTROSPECTION_TTL: '60s' });

  it('checks the proof on every request: a cache hit with a bad proof is refused', async () => {
    const key = await DpopKey.generate();
    const token = await mintDpopToken(as, key);
    const call = async (proof: string) =>
      send(`${suite.demo.url}/me`, { headers: dpopHeaders(token, proof) });
    const before = await as.introspectionCount();
    expect((await call(await key.proofFor('GET', ME, token))).status).toBe(200);
    const replayed = await key.proofFor('GET', ME, token);
    expect((await call(replayed)).status).toBe(200);
    const answer = await call(replayed);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(proofError('The DPoP proof was used before (jti).'));
    const stranger = await DpopKey.generate();
    expect((await call(await stranger.proofFor('GET', ME, token))).status).toBe(401);
    // One introspection: the refusals came from the cached answer, checked again.
    expect(await as.introspectionCount()).toBe(before + 1);
  });
});

describe.each(ADAPTERS)('DPoP behind a trusted proxy, demo API on %s', (adapter) => {
  // No publicUrl: htu is built from the proxy's X-Forwarded-* headers.
  let demo: RunningDemo;
  beforeAll(async () => {
    demo = await startDemo(adapter, authorizationServerEnv(as, { INTROSPECTION_TRUST_PROXY: 'loopback' }));
  });
  afterAll(async () => {
    await demo?.close();
  });

  it('builds htu from X-Forwarded-Proto and X-Forwarded-Host of a trusted proxy', async () => {
    const key = await DpopKey.generate();
    const token = await mintDpopToken(as, key);
    const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'gateway.example.com' };
    const ok = await send(`${demo.url}/me`, {
      headers: {
        ...dpopHeaders(token, await key.proofFor('GET', 'https://gateway.example.com/me', token)),
        ...proxied,
      },
    });
    expect(ok.status).toBe(200);
    const wrong = await send(`${demo.url}/me`, {
      headers: {
        ...dpopHeaders(token, await key.proofFor('GET', 'https://other.example.com/me', token)),
        ...proxied,
      },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe(
      proofError("The DPoP proof's htu is not the request URI."),
    );
  });
});

describe.each(ADAPTERS)('dpop mode "required", demo API on %s', (adapter) => {
  const suite = demoForSuite(adapter, { INTROSPECTION_DPOP: 'required' });

  it('refuses a plain bearer token, with a DPoP challenge only', async () => {
    const answer = await send(`${suite.demo.url}/me`, {
      headers: bearer(await as.mintToken('read:payments')),
    });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(
      `DPoP realm="demo", algs="${ALGS}", error="invalid_token", error_description="This resource requires a DPoP-bound access token and a DPoP proof."`,
    );
  });

  it('challenges a request without a token with DPoP only', async () => {
    const answer = await send(`${suite.demo.url}/me`);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(`DPoP realm="demo", algs="${ALGS}"`);
  });

  it('accepts a DPoP-bound token with a valid proof', async () => {
    const key = await DpopKey.generate('EdDSA');
    const token = await mintDpopToken(as, key);
    expect(
      (
        await send(`${suite.demo.url}/me`, {
          headers: dpopHeaders(token, await key.proofFor('GET', ME, token)),
        })
      ).status,
    ).toBe(200);
  });
});

describe.each(ADAPTERS)('dpop mode "disabled", demo API on %s', (adapter) => {
  const suite = demoForSuite(adapter, { INTROSPECTION_DPOP: 'disabled' });

  it('does not read the DPoP scheme, and refuses a DPoP-bound token sent as Bearer', async () => {
    const key = await DpopKey.generate();
    const token = await mintDpopToken(as, key);
    const asDpop = await send(`${suite.demo.url}/me`, {
      headers: dpopHeaders(token, await key.proofFor('GET', ME, token)),
    });
    expect(asDpop.status).toBe(401);
    expect(asDpop.headers['www-authenticate']).toBe('Bearer realm="demo"');
    const asBearer = await send(`${suite.demo.url}/me`, { headers: bearer(token) });
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers['www-authenticate']).toBe(
      'Bearer realm="demo", error="invalid_token", error_description="The access token is DPoP-bound and this API does not accept DPoP."',
    );
  });
});

describe.each(ADAPTERS)('DPoP nonces, demo API on %s', (adapter) => {
  const clock = new ManualClock();
  const suite = demoForSuite(
    adapter,
    { INTROSPECTION_DPOP_NONCE: 'true', INTROSPECTION_DPOP_NONCE_LIFETIME: '5m' },
    clock,
  );

  it('answers use_dpop_nonce with a DPoP-Nonce, accepts it, then the previous one, never an older one', async () => {
    const key = await DpopKey.generate();
    const token = await mintDpopToken(as, key);
    const call = async (nonce?: string) =>
      send(`${suite.demo.url}/me`, {
        headers: dpopHeaders(token, await key.proofFor('GET', ME, token, { nonce }, clock.now())),
      });
    const first = await call();
    expect(first.status).toBe(401);
    expect(first.headers['www-authenticate']).toBe(
      `Bearer realm="demo", DPoP realm="demo", algs="${ALGS}", error="use_dpop_nonce", error_description="The DPoP proof must carry the nonce of the DPoP-Nonce header."`,
    );
    const nonce = first.headers['dpop-nonce'] as string;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect((await call(nonce)).status).toBe(200);
    expect((await call('not-the-nonce')).status).toBe(401);
    clock.advance(5 * 60_000);
    // Rotated: the previous nonce is still accepted, and a new one is handed out.
    expect((await call(nonce)).status).toBe(200);
    const rotated = (await call()).headers['dpop-nonce'];
    expect(rotated).not.toBe(nonce);
    clock.advance(5 * 60_000);
    const stale = await call(nonce);
    expect(stale.status).toBe(401);
    expect(stale.headers['www-authenticate']).toContain('error="use_dpop_nonce"');
    expect(stale.headers['dpop-nonce']).not.toBe(nonce);
  });
});

describe.each(ADAPTERS)('DPoP replay across instances sharing Redis, demo API on %s', (adapter) => {
  const shared = {
    INTROSPECTION_CACHE_URL: REDIS_URL,
    INTROSPECTION_TTL: '60s',
    INTROSPECTION_CACHE_SECRET: randomBytes(32).toString('base64'),
  };
  const first = demoForSuite(adapter, shared);
  const second = demoForSuite(adapter, shared);

  it('refuses on one instance a proof already used on the other', async () => {
    const key = await DpopKey.generate();
    const token = await mintDpopToken(as, key);
    const proof = await key.proofFor('GET', ME, token);
    expect((await send(`${first.demo.url}/me`, { headers: dpopHeaders(token, proof) })).status).toBe(200);
    const replayed = await send(`${second.demo.url}/me`, { headers: dpopHeaders(token, proof) });
    expect(replayed.status).toBe(401);
    expect(replayed.headers['www-authenticate']).toBe(proofError('The DPoP proof was used before (jti).'));
    const fresh = await key.proofFor('GET', ME, token);
    expect((await send(`${second.demo.url}/me`, { headers: dpopHeaders(token, fresh) })).status).toBe(200);
  });
});

describe('npm run demo:dpop (the demo script that signs proofs)', () => {
  const suite = demoForSuite('express', { INTROSPECTION_DPOP: 'required' });

  // Asynchronous: the demo answers from this very process.
  it('obtains a DPoP-bound token and calls /me with a proof: 200', async () => {
    const { stdout: output } = await promisify(execFile)(
      process.execPath,
      [join(__dirname, '../apps/demo/authorization-server/dpop-call.mjs'), '/me'],
      {
        env: {
          ...process.env,
          DEMO_ISSUER: as.issuer,
          DEMO_API: suite.demo.url,
          DEMO_PUBLIC_URL: PUBLIC_URL,
        },
        encoding: 'utf8',
      },
    );
    expect(output).toContain('Obtained a DPoP token');
    expect(output).toContain('GET /me: 200');
    expect(output).toContain('"tokenType":"DPoP"');
  });
});
