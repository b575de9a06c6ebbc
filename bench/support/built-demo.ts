import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The demo as `npm start` runs it: compiled, in a process of its own. */
export const BUILT_DEMO = join(__dirname, '..', '..', 'dist/apps/demo/apps/demo/src/main.js');

/** A built demo listening on 127.0.0.1, in its own process. */
export interface BuiltDemo {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts the built demo (`npm run build` first) on `adapter` with exactly
 * the given INTROSPECTION_* variables, pinned to `cpu` when given (Linux
 * `taskset`), so that a load generator pinned to the other core does not
 * share one with it. Resolves with its URL once it listens.
 */
export async function startBuiltDemo(
  adapter: 'express' | 'fastify',
  env: Record<string, string>,
  { cpu }: { cpu?: number } = {},
): Promise<BuiltDemo> {
  if (!existsSync(BUILT_DEMO)) {
    throw new Error(`${BUILT_DEMO} is missing: run npm run build first (npm run bench does).`);
  }
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('INTROSPECTION_')),
  );
  const command =
    cpu === undefined
      ? [process.execPath, BUILT_DEMO]
      : ['taskset', '-c', String(cpu), process.execPath, BUILT_DEMO];
  const child: ChildProcess = spawn(command[0], command.slice(1), {
    env: {
      ...inherited,
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
      DEMO_ADAPTER: adapter,
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      output += `${line}\n`;
      // eslint-disable-next-line no-control-regex
      const match = /listening on (http:\/\/[^\s\x1b]+)/.exec(line);
      if (match) resolve(match[1].replace('localhost', '127.0.0.1'));
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`the built demo exited with ${code}:\n${output}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
