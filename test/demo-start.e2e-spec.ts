import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { send } from './support/http';

// `npm start` as a newcomer sees it: the demo with its embedded authorization
// server prints what the user's own app needs to call that server, and the
// printed values work.

const ROOT = join(__dirname, '..');

describe('the demo started with its embedded authorization server', () => {
  let demo: ChildProcess | undefined;

  afterEach(() => {
    demo?.kill();
    demo = undefined;
  });

  it('prints the introspection endpoint and working API client credentials for your own app', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0' };
    for (const name of Object.keys(env)) {
      if (name.startsWith('INTROSPECTION_') || name === 'DEV_AUTH_SERVER_PORT') delete env[name];
    }
    demo = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        'tsconfig-paths/register',
        join(ROOT, 'apps/demo/src/main.ts'),
      ],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines: string[] = [];
    await new Promise<void>((resolve, reject) => {
      demo?.once('exit', (code) => reject(new Error(`the demo exited with ${code}: ${lines.join('\n')}`)));
      createInterface({ input: demo!.stdout! }).on('line', (line) => {
        lines.push(line);
        // The last line of what it prints: the command that fetches the metadata document.
        if (line.includes('curl -s') && line.includes('/.well-known/oauth-protected-resource')) resolve();
      });
    });
    const exported = Object.fromEntries(
      lines
        .map((line) => /^\s*export (INTROSPECTION_[A-Z_]+)=(\S+)$/.exec(line))
        .filter((match): match is RegExpExecArray => match !== null)
        .map((match) => [match[1], match[2]]),
    );
    expect(Object.keys(exported).sort()).toEqual([
      'INTROSPECTION_CLIENT_ID',
      'INTROSPECTION_CLIENT_SECRET',
      'INTROSPECTION_ENDPOINT',
      'INTROSPECTION_REALM',
    ]);
    expect(lines.some((line) => line.includes('DEV_AUTH_SERVER_PORT=4001 npm start'))).toBe(true);

    // The printed credentials authenticate at the printed endpoint: an unknown
    // token is answered (inactive), not refused with 401.
    const answer = await send(exported.INTROSPECTION_ENDPOINT, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${exported.INTROSPECTION_CLIENT_ID}:${exported.INTROSPECTION_CLIENT_SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'token=not-a-token',
    });
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ active: false });

    // Its own base URL is its resource identifier, with the RFC 9728 document served.
    const listening = lines
      // eslint-disable-next-line no-control-regex
      .map((line) => /listening on (http:\/\/\S+)/.exec(line.replace(/\x1b\[[0-9;]*m/g, '')))
      .find((match) => match !== null);
    const url = listening![1];
    const issuer = exported.INTROSPECTION_ENDPOINT.replace(/\/token\/introspection$/, '');
    const metadata = await send(`${url}/.well-known/oauth-protected-resource`);
    expect(metadata.json()).toStrictEqual({
      resource: url,
      authorization_servers: [issuer],
      scopes_supported: ['read:payments', 'write:payments'],
      bearer_methods_supported: ['header'],
    });
    expect((await send(`${url}/me`)).headers['www-authenticate']).toBe(
      `Bearer realm="demo", resource_metadata="${url}/.well-known/oauth-protected-resource"`,
    );
  }, 120_000);
});
