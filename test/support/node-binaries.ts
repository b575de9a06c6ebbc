import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '../..');

/** A Node.js binary and the version it reports. */
export interface NodeBinary {
  readonly path: string;
  readonly version: string;
  readonly major: number;
}

async function versionOf(path: string): Promise<NodeBinary> {
  const { stdout } = await run(path, ['--version']);
  const version = stdout.trim();
  return { path, version, major: Number(/^v(\d+)/.exec(version)?.[1]) };
}

/**
 * The machine's own Node.js: the first `node` on `PATH` outside any
 * `node_modules/.bin` (npm scripts put the repository's pinned Node 24 there).
 */
export async function systemNode(): Promise<NodeBinary> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || dir.includes('node_modules')) {
      continue;
    }
    const candidate = join(dir, 'node');
    try {
      accessSync(candidate, constants.X_OK);
      return versionOf(candidate);
    } catch {
      // not here
    }
  }
  throw new Error('no node binary on PATH outside node_modules');
}

/**
 * Node.js `major` from the npm registry's `node` package, installed once into
 * `.cache/node-<major>` of the repository (the only way to get another Node
 * on a machine that reaches nothing but the registry).
 */
export async function registryNode(major: number): Promise<NodeBinary> {
  const dir = join(ROOT, '.cache', `node-${major}`);
  const binary = join(dir, 'node_modules/node/bin/node');
  if (!existsSync(binary)) {
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ private: true, allowScripts: { node: true } }),
    );
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `node@${major}`], {
      cwd: dir,
    });
  }
  return versionOf(binary);
}

/**
 * The environment of a command run in an application outside the repository,
 * with `node` (and so the npm and test runner it starts) taken from `binary`:
 * without this repository's `node_modules/.bin` on `PATH` and without the
 * `npm_*` variables of the `npm test` that runs the suite.
 */
export function withNode(binary: NodeBinary, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  const path = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !dir.startsWith(join(ROOT, 'node_modules')));
  return { ...env, ...extra, PATH: [dirname(binary.path), ...path].join(delimiter) };
}
