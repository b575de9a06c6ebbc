// Calls the demo API with a DPoP-bound token (RFC 9449), since curl cannot
// sign proofs: makes a key pair, obtains a token bound to it from the
// embedded authorization server (client credentials grant, as the demo's
// token client) and sends one request with `Authorization: DPoP` and a fresh
// proof, answering server nonces (use_dpop_nonce) once.
//
//   DEMO_ISSUER=http://127.0.0.1:4001 npm run demo:dpop -- /me [METHOD] [scope]
//
// DEMO_API is the demo's URL (default http://127.0.0.1:4000); DEMO_PUBLIC_URL
// the origin its proofs name in htu, when the demo's INTROSPECTION_PUBLIC_URL
// differs from DEMO_API. Development credentials only.
import { readFileSync } from 'node:fs';
import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const demo = JSON.parse(readFileSync(new URL('./demo-clients.json', import.meta.url), 'utf8'));
const [path = '/me', method = 'GET', scope = demo.scopes.join(' ')] = process.argv.slice(2);
const issuer = process.env.DEMO_ISSUER;
const api = (process.env.DEMO_API ?? 'http://127.0.0.1:4000').replace(/\/$/, '');
const publicUrl = (process.env.DEMO_PUBLIC_URL ?? api).replace(/\/$/, '');
if (!issuer) {
  process.stderr.write('Set DEMO_ISSUER to the embedded authorization server the demo printed at start.\n');
  process.exit(2);
}

const { privateKey, publicKey } = await generateKeyPair('ES256');
const jwk = await exportJWK(publicKey);

/** A proof for one request (RFC 9449 §4.2); `ath` when a token goes with it. */
function proof(htm, htu, { token, nonce } = {}) {
  return new SignJWT({
    jti: randomUUID(),
    htm,
    htu,
    ...(token ? { ath: createHash('sha256').update(token).digest('base64url') } : {}),
    ...(nonce ? { nonce } : {}),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
    .setIssuedAt()
    .sign(privateKey);
}

/** Sends a request, once more with the server's nonce if it asks for one (RFC 9449 §8, §9). */
async function withNonce(send) {
  let answer = await send(undefined);
  const nonce = answer.headers.get('dpop-nonce');
  if ((answer.status === 400 || answer.status === 401) && nonce) {
    answer = await send(nonce);
  }
  return answer;
}

const tokenEndpoint = `${issuer.replace(/\/$/, '')}/token`;
const tokenAnswer = await withNonce(async (nonce) =>
  fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${demo.tokenClient.clientId}:${demo.tokenClient.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      dpop: await proof('POST', tokenEndpoint, { nonce }),
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  }),
);
if (tokenAnswer.status !== 200) {
  process.stderr.write(`Token request failed: ${tokenAnswer.status} ${await tokenAnswer.text()}\n`);
  process.exit(1);
}
const { access_token: token, token_type: tokenType } = await tokenAnswer.json();
process.stdout.write(`Obtained a ${tokenType} token bound to key ${jwk.crv} ${jwk.x.slice(0, 8)}…\n`);

// htu: the URI without query (RFC 9449 §4.2), at the origin the API knows itself by.
const htu = `${publicUrl}${path.split('?')[0]}`;
const answer = await withNonce(async (nonce) =>
  fetch(`${api}${path}`, {
    method,
    headers: { authorization: `DPoP ${token}`, dpop: await proof(method, htu, { token, nonce }) },
  }),
);
process.stdout.write(`${method} ${path}: ${answer.status}\n`);
const challenge = answer.headers.get('www-authenticate');
if (challenge) {
  process.stdout.write(`WWW-Authenticate: ${challenge}\n`);
}
process.stdout.write(`${await answer.text()}\n`);
process.exit(answer.ok ? 0 : 1);
