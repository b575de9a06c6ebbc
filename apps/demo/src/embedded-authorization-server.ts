import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** The demo's development clients, shared with the authorization server script. */
export interface DemoClients {
  audience: string;
  /** A resource whose access tokens are JWTs. */
  jwtAudience: string;
  scopes: string[];
  tokenClient: { clientId: string; clientSecret: string };
  /** One client per method; private_key_jwt's has no secret (its public key is registered at start). */
  introspectionClients: Record<string, { clientId: string; clientSecret?: string }>;
}

/** A running authorization server child process. */
export interface AuthorizationServerProcess {
  readonly issuer: string;
  readonly child: ChildProcess;
  /** Stops the process and waits for it to exit. */
  stop(): Promise<void>;
}

/** The folder holding the authorization server scripts, from source or from `dist/`. */
export function authorizationServerDir(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'apps', 'demo', 'authorization-server');
    if (existsSync(join(candidate, 'authorization-server.mjs'))) {
      return candidate;
    }
  }
  return resolve(__dirname, '..', 'authorization-server');
}

/** The demo's development clients. */
export function demoClients(): DemoClients {
  return JSON.parse(readFileSync(join(authorizationServerDir(), 'demo-clients.json'), 'utf8')) as DemoClients;
}

/**
 * Starts an oidc-provider script as its own Node process and resolves once
 * it prints its ready line. The child exits with its parent.
 */
export function spawnAuthorizationServer(
  script: string,
  env: NodeJS.ProcessEnv = {},
  startTimeoutMs = 30_000,
): Promise<AuthorizationServerProcess> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // oidc-provider warns about development keys and Node 20 on every start;
  // harmless here, so only other lines are passed on.
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (!line.startsWith('oidc-provider WARNING')) {
      process.stderr.write(`[authorization server] ${line}\n`);
    }
  });
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`The authorization server (${script}) did not start within ${startTimeoutMs} ms.`));
    }, startTimeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The authorization server (${script}) exited with code ${code} before it was ready.`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let message: { event?: string; issuer?: string };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        return;
      }
      if (message.event === 'ready' && message.issuer) {
        clearTimeout(timer);
        resolveReady({
          issuer: message.issuer,
          child,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) {
              child.kill('SIGTERM');
            }
            await exited;
          },
        });
      }
    });
  });
}
