import { execFile, spawn, ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { demoClients } from '../apps/demo/src/embedded-authorization-server';
import { TestAuthorizationServer } from './support/authorization-server';
import { bearer, send } from './support/http';
import { NodeBinary, systemNode } from './support/node-binaries';

// The published package, as a user gets it: `npm pack` of the library,
// installed into a fresh Nest application that is compiled and booted
// against oidc-provider. Proves the exports map, the peer dependencies and
// the compiled output, none of which the in-repo tests (path mappings) see.

const run = promisify(execFile);
const ROOT = join(__dirname, '..');
const LIBRARY = join(ROOT, 'libs/introspection');
const clients = demoClients();

const MAIN_TS = `
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IntrospectedToken, IntrospectionModule, RequireActiveToken } from 'nestjs-introspection';

@Controller()
class PaymentsController {
  @Get('payments')
  @RequireActiveToken({ scopes: ['read:payments'] })
  list(@IntrospectedToken('clientId') clientId: string) {
    return { clientId };
  }
}

@Module({
  imports: [
    IntrospectionModule.forRoot({
      endpoint: process.env.AS_ENDPOINT,
      clientId: process.env.AS_CLIENT_ID as string,
      clientSecret: process.env.AS_CLIENT_SECRET,
      realm: 'packed',
    }),
  ],
  controllers: [PaymentsController],
})
class AppModule {}

async function main() {
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  process.stdout.write(JSON.stringify({ url: (await app.getUrl()).replace('[::1]', '127.0.0.1') }) + '\\n');
}
void main();
`;

const ENTRY_POINTS_TS = `
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IntrospectionModule, IntrospectionService } from 'nestjs-introspection';
import { IntrospectionTestingModule } from 'nestjs-introspection/testing';

// Port 9 (discard) on loopback: nothing listens, the connection is refused.
@Module({
  imports: [
    IntrospectionModule.forRoot({ endpoint: 'http://127.0.0.1:9/introspect', clientId: 'api', clientSecret: 's', transport: { retries: 0 } }),
  ],
})
class UnreachableModule {}

async function main() {
  const outcome: Record<string, string> = { testing: typeof IntrospectionTestingModule };
  try {
    require('nestjs-introspection/dist/guards/active-token.guard');
    outcome.deepImport = 'allowed';
  } catch (error) {
    outcome.deepImport = (error as { code?: string }).code ?? 'failed';
  }
  // The transport error as the app sees it: @nestjs/axios is ESM in Nest 12,
  // so its axios errors are not the CommonJS build's AxiosError class.
  const context = await NestFactory.createApplicationContext(UnreachableModule, { logger: false });
  outcome.unreachable = await context
    .get(IntrospectionService)
    .introspect('some-token')
    .then(() => 'answered', (error: Error) => error.message);
  await context.close();
  process.stdout.write(JSON.stringify(outcome));
}
void main();
`;

const TSCONFIG = {
  compilerOptions: {
    // nodenext, as the Nest 11 and 12 templates generate it: reads the
    // package's exports map and lets CommonJS code require Nest 12's ES modules.
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'ES2022',
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    strict: true,
    skipLibCheck: true,
    outDir: 'dist',
    rootDir: 'src',
  },
  include: ['src'],
};

// The peer versions a user of each supported Nest major installs.
const PEERS: Record<number, string[]> = {
  11: [
    '@nestjs/common@^11',
    '@nestjs/core@^11',
    '@nestjs/platform-express@^11',
    '@nestjs/axios@^4',
    '@nestjs/config@^4',
  ],
  12: [
    '@nestjs/common@^12',
    '@nestjs/core@^12',
    '@nestjs/platform-express@^12',
    '@nestjs/axios@^12',
    '@nestjs/config@^12',
  ],
};

describe.each([11, 12])('the packed library in a fresh Nest %i application', (major) => {
  let workDir: string;
  let as: TestAuthorizationServer;
  let app: ChildProcess | undefined;
  let node: NodeBinary;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'introspection-pack-'));
    as = await TestAuthorizationServer.start();
    // The machine's Node (the supported floor here), not the repository's pinned one.
    node = await systemNode();
  });

  afterAll(async () => {
    app?.kill();
    await as?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('packs, installs, compiles and protects a route', async () => {
    // Nest 12's packages are pure ESM: this CommonJS app and the library load
    // them through Node's require(esm), as Nest 12's CommonJS template does.
    await run('npm', ['pack', '--pack-destination', workDir], { cwd: LIBRARY });
    const tarball = (await readdir(workDir)).find((file) => file.endsWith('.tgz'));
    expect(tarball).toMatch(/^nestjs-introspection-\d+\.\d+\.\d+\.tgz$/);

    const appDir = join(workDir, 'app');
    await mkdir(join(appDir, 'src'), { recursive: true });
    await writeFile(join(appDir, 'package.json'), JSON.stringify({ name: 'packed-app', private: true }));
    await writeFile(join(appDir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    await writeFile(join(appDir, 'src/main.ts'), MAIN_TS);
    await writeFile(join(appDir, 'src/entry-points.ts'), ENTRY_POINTS_TS);
    // Only the peers a REST application needs: no GraphQL, WebSockets or microservices.
    await run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        join(workDir, tarball as string),
        ...PEERS[major],
        'axios@^1',
        'rxjs@^7',
        'reflect-metadata@^0.2',
        '@types/node@^20',
      ],
      { cwd: appDir },
    );
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', appDir]).catch(
      (error: { stdout?: string; message: string }) => {
        throw new Error(`tsc failed in the Nest ${major} app: ${error.stdout ?? error.message}`);
      },
    );

    // The README's relative links (docs/, LICENSE) resolve inside the installed package.
    const installedDir = join(appDir, 'node_modules/nestjs-introspection');
    const readme = await readFile(join(installedDir, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(((?:docs\/|LICENSE)[^)#]*)/g)].map((match) => match[1]);
    expect(links).toContain('docs/configuration.md');
    expect(links.filter((link) => !existsSync(join(installedDir, link)))).toEqual([]);

    const entryPoints = await run(node.path, [join(appDir, 'dist/entry-points.js')], { cwd: appDir });
    expect(JSON.parse(entryPoints.stdout)).toEqual({
      testing: 'function',
      deepImport: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      unreachable: 'The introspection endpoint could not be reached (ECONNREFUSED).',
    });

    app = spawn(node.path, [join(appDir, 'dist/main.js')], {
      cwd: appDir,
      env: {
        ...process.env,
        AS_ENDPOINT: as.introspectionEndpoint,
        AS_CLIENT_ID: clients.introspectionClients.client_secret_basic.clientId,
        AS_CLIENT_SECRET: clients.introspectionClients.client_secret_basic.clientSecret,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const { url } = await new Promise<{ url: string }>((resolve, reject) => {
      app?.stdout?.once('data', (line: Buffer) => resolve(JSON.parse(line.toString()) as { url: string }));
      app?.once('exit', (code) => reject(new Error(`the packed app exited with ${code}`)));
    });

    const anonymous = await send(`${url}/payments`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="packed"');
    const allowed = await send(`${url}/payments`, { headers: bearer(await as.mintToken('read:payments')) });
    expect(allowed.status).toBe(200);
    expect(allowed.json()).toEqual({ clientId: clients.tokenClient.clientId });
    const installed = await run(node.path, ['-p', "require('@nestjs/common/package.json').version"], {
      cwd: appDir,
    });
    expect(installed.stdout.trim()).toMatch(new RegExp(`^${major}\\.`));
  }, 180_000);
});
