import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import { SESSION_REVOKED } from '../../libs/introspection/test-support/security-event-transmitter';
import { send } from './http';

/** The demo's development transmitter: its private key, and where its authorization server publishes the public one. */
export const DEMO_TRANSMITTER = JSON.parse(
  readFileSync(join(__dirname, '../../apps/demo/authorization-server/demo-transmitter.json'), 'utf8'),
) as { jwksPath: string; key: Record<string, string> };

/** The demo API's client id: the audience its receiver expects. */
const DEMO_AUDIENCE = 'demo-api';

/**
 * A SET from `issuer` signed with the demo transmitter's development key, as
 * `npm run demo:security-event` makes it: a session-revoked for the
 * `demo-client` subject of `issuer`, a fresh `jti`, `iat` now; `claims` add
 * to or replace its own.
 */
export async function demoSecurityEvent(
  issuer: string,
  claims: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({
    iss: issuer,
    aud: DEMO_AUDIENCE,
    iat: Math.floor(Date.now() / 1000),
    jti: randomUUID(),
    sub_id: { format: 'iss_sub', iss: issuer, sub: 'demo-client' },
    events: { [SESSION_REVOKED]: {} },
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'secevent+jwt', kid: DEMO_TRANSMITTER.key.kid })
    .sign(await importJWK(DEMO_TRANSMITTER.key, 'ES256'));
}

/** Pushes `set` to the receiver at `baseUrl` (RFC 8935): the answer. */
export function pushSecurityEvent(
  baseUrl: string,
  set: string,
  headers: Record<string, string> = { 'content-type': 'application/secevent+jwt' },
) {
  return send(`${baseUrl}/security-events`, { method: 'POST', headers, body: set });
}
