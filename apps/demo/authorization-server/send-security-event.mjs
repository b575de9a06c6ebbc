// Pushes a signed Security Event Token (RFC 8417) to the demo API's receiver
// (RFC 8935), standing in for an authorization server that tells its APIs
// a session was revoked (OpenID CAEP session-revoked): the demo revokes what
// it cached for that subject or session.
//
//   DEMO_ISSUER=http://127.0.0.1:4001 npm run demo:security-event -- --sub demo-client [--sid SESSION]
//
// DEMO_ISSUER is the embedded authorization server the demo printed at start
// (the SET's iss, and the issuer of the subject); DEMO_API the demo's URL
// (default http://127.0.0.1:4000); --aud the receiver's audience (default
// the demo's API client id); --event another event type URI. Signed with the
// development key of demo-transmitter.json, whose public half the embedded
// server publishes. Development only.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { importJWK, SignJWT } from 'jose';

const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const demo = JSON.parse(readFileSync(new URL('./demo-clients.json', import.meta.url), 'utf8'));
const transmitter = JSON.parse(readFileSync(new URL('./demo-transmitter.json', import.meta.url), 'utf8'));

const { values } = parseArgs({
  options: {
    sub: { type: 'string' },
    sid: { type: 'string' },
    aud: { type: 'string', default: demo.introspectionClients.client_secret_basic.clientId },
    event: { type: 'string', default: SESSION_REVOKED },
    path: { type: 'string', default: '/security-events' },
  },
});
const issuer = process.env.DEMO_ISSUER;
const api = (process.env.DEMO_API ?? 'http://127.0.0.1:4000').replace(/\/$/, '');
if (!issuer || (!values.sub && !values.sid)) {
  process.stderr.write(
    'Usage: DEMO_ISSUER=<the issuer the demo printed> npm run demo:security-event -- --sub <subject> [--sid <session>]\n',
  );
  process.exit(2);
}

/** The subject (RFC 9493): the user as iss_sub, the session as opaque, both as a complex subject. */
function subject({ sub, sid }) {
  const user = sub ? { format: 'iss_sub', iss: issuer, sub } : undefined;
  if (!sid) {
    return user;
  }
  return { format: 'complex', ...(user ? { user } : {}), session: { format: 'opaque', id: sid } };
}

const now = Math.floor(Date.now() / 1000);
const set = await new SignJWT({
  jti: randomUUID(),
  sub_id: subject(values),
  events: { [values.event]: { event_timestamp: now } },
})
  .setProtectedHeader({ alg: 'ES256', typ: 'secevent+jwt', kid: transmitter.key.kid })
  .setIssuer(issuer)
  .setAudience(values.aud)
  .setIssuedAt(now)
  .sign(await importJWK(transmitter.key, 'ES256'));

const response = await fetch(`${api}${values.path}`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/secevent+jwt', Accept: 'application/json' },
  body: set,
});
const body = await response.text();
process.stdout.write(`POST ${api}${values.path} -> ${response.status}${body ? ` ${body}` : ''}\n`);
process.exit(response.status === 202 ? 0 : 1);
