import { ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';
import { TestAuthorizationServer } from './support/authorization-server';
import { bearer, send } from './support/http';
import { NodeBinary, registryNode, systemNode, withNode } from './support/node-binaries';

// The compatibility matrix of docs/compatibility.md: applications made by the
// real Nest generators from the npm registry, the packed library installed as
// the README says, the README tutorial's three files pasted verbatim (CommonJS
// apps drop the `.js` of relative imports, as the README says), then built,
// booted against oidc-provider and tested with the app's own runner.

const execute = promisify(execFile);
const ROOT = join(__dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const clients = demoClients();
const MINUTES = 60_000;

/** The files the README tutorial asks to replace, by path, as written there. */
function tutorialFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const match of README.matchAll(/<!-- tutorial-file: (\S+) -->\n```ts\n([\s\S]*?)\n```/g)) {
    files[match[1]] = `${match[2]}\n`;
  }
  return files;
}

/**
 * The tutorial's edits of generated files, applied as a user would: its
 * `import` lines go first in the file, the lines after `imports: [` go first
 * in the generated module's `imports`, and everything the generator wrote
 * stays (e.g. the `@nestjs/observe` set-up of `nest new`).
 */
function tutorialEdits(): Record<string, (generated: string) => string> {
  const edits: Record<string, (generated: string) => string> = {};
  for (const match of README.matchAll(/<!-- tutorial-edit: (\S+) -->\n```ts\n([\s\S]*?)\n```/g)) {
    const lines = match[2].split('\n');
    const imports = lines.filter((line) => line.startsWith('import '));
    const opening = lines.findIndex((line) => line.trim() === 'imports: [');
    const entries = lines.slice(opening + 1).filter((line) => line.trim() !== '');
    edits[match[1]] = (generated) => {
      if (!/imports: \[/.test(generated)) {
        throw new Error(
          `${match[1]} as generated has no "imports: [": the tutorial's edit no longer applies`,
        );
      }
      return `${imports.join('\n')}\n${generated.replace(/imports: \[/, `imports: [\n${entries.join('\n')}`)}`;
    };
  }
  if (Object.keys(edits).length === 0) {
    throw new Error('README.md has no tutorial-edit block: the tutorial changed shape');
  }
  return edits;
}

/**
 * The tutorial's `npm install` for a Nest major: its package list. Nest 11
 * apps install the Nest 11 line of @nestjs/config (`@4`).
 */
function tutorialInstall(major: 11 | 12): string[] {
  const lines = [...README.matchAll(/npm install (nestjs-introspection [^`\n]*)/g)].map((match) =>
    match[1].trim(),
  );
  const line = lines.find((packages) => packages.includes('@nestjs/config@4') === (major === 11));
  if (!line) {
    throw new Error(`README.md has no tutorial install line for Nest ${major}`);
  }
  return line.split(/\s+/);
}

const forCommonJs = (source: string) => source.replace(/(from '\.{1,2}\/[^']+)\.js'/g, "$1'");

interface GeneratedApp {
  readonly dir: string;
  readonly commonJs: boolean;
}

let workDir: string;
let tarball: string;
let node20: NodeBinary;
let as: TestAuthorizationServer;
const running: ChildProcess[] = [];

async function sh(
  command: string,
  args: string[],
  cwd: string,
  node: NodeBinary,
  env: NodeJS.ProcessEnv = {},
) {
  try {
    return await execute(command, args, { cwd, env: withNode(node, env), maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(' ')} failed in ${cwd} on Node ${node.version}:\n${stdout}\n${stderr}`,
      { cause: error },
    );
  }
}

/** An application as a generator makes it, with the tutorial's files and packages. */
async function generate(
  name: string,
  generator: string[],
  major: 11 | 12,
  extraPackages: string[] = [],
): Promise<GeneratedApp> {
  await sh('npx', ['-y', ...generator], workDir, node20);
  const dir = join(workDir, name);
  const packageJson = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { type?: string };
  const commonJs = packageJson.type !== 'module';
  for (const [path, source] of Object.entries(tutorialFiles())) {
    await writeFile(join(dir, path), commonJs ? forCommonJs(source) : source);
  }
  for (const [path, edit] of Object.entries(tutorialEdits())) {
    await writeFile(join(dir, path), edit(await readFile(join(dir, path), 'utf8')));
  }
  const packages = tutorialInstall(major).map((name) => (name === 'nestjs-introspection' ? tarball : name));
  await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], dir, node20);
  await sh(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', ...packages, ...extraPackages],
    dir,
    node20,
  );
  await sh('npm', ['run', 'build'], dir, node20);
  return { dir, commonJs };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Boots `entry` of the built app on `node` with the tutorial's configuration; its base URL. */
async function boot(app: GeneratedApp, node: NodeBinary, entry = 'dist/main.js'): Promise<string> {
  const port = await freePort();
  const child = spawn(node.path, [entry], {
    cwd: app.dir,
    env: withNode(node, {
      PORT: String(port),
      INTROSPECTION_ENDPOINT: as.introspectionEndpoint,
      INTROSPECTION_CLIENT_ID: clients.introspectionClients.client_secret_basic.clientId,
      INTROSPECTION_CLIENT_SECRET: clients.introspectionClients.client_secret_basic.clientSecret,
      INTROSPECTION_REALM: 'payments',
    }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) {
      throw new Error(`the app exited with ${child.exitCode} on Node ${node.version}:\n${stderr}`);
    }
    try {
      await send(`${url}/payments`);
      return url;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`the app did not listen within 30 s on Node ${node.version}:\n${stderr}`);
}

async function expectTutorialBehaviour(url: string): Promise<void> {
  const anonymous = await send(`${url}/payments`);
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="payments"');

  const allowed = await send(`${url}/payments`, { headers: bearer(await as.mintToken('read:payments')) });
  expect(allowed.status).toBe(200);
  // oidc-provider's client-credentials tokens have no `sub`: the README says `{}`.
  expect(allowed.json()).toEqual({});

  const withoutScope = await send(`${url}/payments`, { headers: bearer(await as.mintToken('read:orders')) });
  expect(withoutScope.status).toBe(403);
  expect(withoutScope.headers['www-authenticate']).toMatch(
    /^Bearer realm="payments", error="insufficient_scope", .*scope="read:payments"$/,
  );
}

/** The app's own test command, as generated; its output. */
async function runOwnTests(app: GeneratedApp, node: NodeBinary): Promise<string> {
  const { stdout, stderr } = await sh('npm', ['test'], app.dir, node, { CI: 'true', NO_COLOR: '1' });
  // eslint-disable-next-line no-control-regex
  return `${stdout}\n${stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
}

/** How many copies of `name` the app installed (the dual-package hazard needs two). */
async function copiesOf(app: GeneratedApp, name: string): Promise<number> {
  const { stdout } = await sh('npm', ['query', `#${name}`], app.dir, node20);
  return (JSON.parse(stdout) as unknown[]).length;
}

describe('the README tutorial in applications made by the Nest generators', () => {
  let esm: GeneratedApp;
  let cjs12: GeneratedApp;
  let cjs11: GeneratedApp;
  let node22: NodeBinary;
  let node24: NodeBinary;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'introspection-compat-'));
    [node20, node22, node24, as] = await Promise.all([
      systemNode(),
      registryNode(22),
      registryNode(24),
      TestAuthorizationServer.start(),
    ]);
    await execute('npm', ['pack', '--pack-destination', workDir], { cwd: join(ROOT, 'libs/introspection') });
    tarball = join(workDir, (await readdir(workDir)).find((file) => file.endsWith('.tgz')) as string);
    // One at a time: two cores, and npm installs in parallel only fight.
    esm = await generate(
      'esm-app',
      ['@nestjs/cli@12', 'new', 'esm-app', '--skip-install', '--skip-git', '--package-manager', 'npm'],
      12,
      ['@nestjs/platform-fastify@^12'],
    );
    cjs12 = await generate(
      'cjs-app',
      [
        '-p',
        '@angular-devkit/schematics-cli@22',
        '-p',
        '@nestjs/schematics@12',
        'schematics',
        '@nestjs/schematics:application',
        '--name=cjs-app',
        '--type=cjs',
        '--package-manager=npm',
        '--dry-run=false',
      ],
      12,
    );
    cjs11 = await generate(
      'nest11-app',
      ['@nestjs/cli@11', 'new', 'nest11-app', '--skip-install', '--skip-git', '--package-manager', 'npm'],
      11,
    );
  }, 20 * MINUTES);

  afterAll(async () => {
    for (const child of running) {
      child.kill();
    }
    await as?.stop();
    if (workDir) {
      await rm(workDir, { recursive: true, force: true });
    }
  }, 2 * MINUTES);

  it(
    'generates what the matrix claims, with one @nestjs/common and one @nestjs/core in each app',
    async () => {
      for (const app of [esm, cjs12, cjs11]) {
        expect(await copiesOf(app, '@nestjs/common')).toBe(1);
        expect(await copiesOf(app, '@nestjs/core')).toBe(1);
      }
      expect(esm.commonJs).toBe(false);
      expect(cjs12.commonJs).toBe(true);
      expect(cjs11.commonJs).toBe(true);
      expect(node22.major).toBe(22);
      expect(node24.major).toBe(24);
      // Six npm queries: seconds each on a loaded machine.
    },
    2 * MINUTES,
  );

  describe.each([
    ["this machine's", () => node20],
    ["the registry's 22", () => node22],
    ["the registry's 24", () => node24],
  ])('@nestjs/cli@12 new (ESM, Vitest), on %s Node', (_label, node) => {
    it(
      'boots on Express: 401, 200, 403',
      async () => {
        await expectTutorialBehaviour(await boot(esm, node()));
      },
      2 * MINUTES,
    );

    it(
      "passes the README's test with the app's own Vitest",
      async () => {
        const output = await runOwnTests(esm, node());
        expect(output).toMatch(/Tests\s+4 passed \(4\)/);
      },
      3 * MINUTES,
    );
  });

  it(
    'boots on Fastify (ESM, this machine): 401, 200, 403',
    async () => {
      const main = await readFile(join(esm.dir, 'src/main.ts'), 'utf8');
      const fastify = main
        .replace(
          "import { NestFactory } from '@nestjs/core';",
          "import { NestFactory } from '@nestjs/core';\nimport { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';",
        )
        // The adapter goes second; NestFactory options the generator passed (e.g. nest new's
        // `{ instrument: ObserveInstrument }`) move to third.
        .replace(
          'NestFactory.create(AppModule',
          'NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter()',
        )
        .replace('app.listen(process.env.PORT ?? 3000)', "app.listen(process.env.PORT ?? 3000, '127.0.0.1')");
      expect(fastify).toContain('new FastifyAdapter()');
      await writeFile(join(esm.dir, 'src/main-fastify.ts'), fastify);
      await sh('npm', ['run', 'build'], esm.dir, node20);
      await expectTutorialBehaviour(await boot(esm, node20, 'dist/main-fastify.js'));
    },
    3 * MINUTES,
  );

  describe('@nestjs/schematics@12 application --type=cjs (CommonJS, Jest)', () => {
    it(
      'boots on this machine: 401, 200, 403',
      async () => {
        await expectTutorialBehaviour(await boot(cjs12, node20));
      },
      2 * MINUTES,
    );

    // The template's own Jest loads Nest 12's ES modules through Jest's
    // require(esm), which needs Node 24.9+ (docs/compatibility.md).
    it(
      "passes the README's test with the app's own Jest (Node 24)",
      async () => {
        const output = await runOwnTests(cjs12, node24);
        expect(output).toMatch(/Tests:\s+4 passed, 4 total/);
      },
      3 * MINUTES,
    );
  });

  describe('@nestjs/cli@11 new (CommonJS, Jest)', () => {
    it(
      'boots on this machine: 401, 200, 403',
      async () => {
        await expectTutorialBehaviour(await boot(cjs11, node20));
      },
      2 * MINUTES,
    );

    it(
      "passes the README's test with the app's own Jest on this machine, with no transform for jose",
      async () => {
        const output = await runOwnTests(cjs11, node20);
        expect(output).toMatch(/Tests:\s+4 passed, 4 total/);
      },
      3 * MINUTES,
    );
  });
});
