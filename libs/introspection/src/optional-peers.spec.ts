import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// @nestjs/graphql, @nestjs/websockets, @nestjs/microservices and
// @opentelemetry/api are optional peers: an application without them must be
// able to load the library and protect REST routes. A child process where
// requiring them fails proves it.

/** The Nest integrations' optional peers. */
const NEST_PEERS = String.raw`^@nestjs\/(graphql|websockets|microservices|apollo|platform-socket\.io)(\/|$)`;

/** The axios transport's optional peers. */
const AXIOS_PEERS = String.raw`^(@nestjs\/axios|axios)(\/|$)`;

/**
 * Runs `script` in a Node.js process where the optional peers cannot be
 * found, by `require` nor by `import()` (resolve hook); `lib` is the library.
 */
function withoutOptionalPeers(script: string, peers = NEST_PEERS) {
  const prelude = `
    const NodeModule = require('node:module');
    const load = NodeModule._load;
    const missed = new Set();
    const blocked = (request) => {
      if (new RegExp(${JSON.stringify(peers)}).test(request)) {
        missed.add(request);
        throw new Error('Cannot find module ' + request);
      }
    };
    NodeModule._load = function (request, ...rest) {
      blocked(request);
      return load.call(this, request, ...rest);
    };
    NodeModule.registerHooks?.({
      resolve(specifier, context, next) {
        blocked(specifier);
        return next(specifier, context);
      },
    });
    require('reflect-metadata');
    const lib = require(${JSON.stringify(join(__dirname, 'index.ts'))});
  `;
  return spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', prelude + script], {
    cwd: join(__dirname, '../../..'),
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('optional peer dependencies', () => {
  it('loads the library and guards a REST route without GraphQL, WebSockets or microservices', () => {
    const script = `
      const { Controller, Get } = require('@nestjs/common');
      class C { get() { return 'ok'; } }
      lib.RequireActiveToken({ scopes: ['read'] })(C.prototype, 'get', Object.getOwnPropertyDescriptor(C.prototype, 'get'));
      Get()(C.prototype, 'get', Object.getOwnPropertyDescriptor(C.prototype, 'get'));
      Controller('c')(C);
      process.stdout.write(typeof lib.ActiveTokenGuard + ' ' + typeof lib.IntrospectedToken);
    `;
    const child = withoutOptionalPeers(script);
    expect(child.stderr).toBe('');
    expect(child.stdout).toBe('function function');
  });

  it('boots without GraphQL: the field-resolver check looks for it, finds none and lets the boot go on', () => {
    const script = `
      const { Injectable, Module } = require('@nestjs/common');
      const { NestFactory } = require('@nestjs/core');
      class Gateway { handle() {} }
      lib.RequireActiveToken()(Gateway.prototype, 'handle', Object.getOwnPropertyDescriptor(Gateway.prototype, 'handle'));
      Injectable()(Gateway);
      class App {}
      Module({
        imports: [lib.IntrospectionModule.forRoot({ endpoint: 'https://as.invalid/', clientId: 'c', clientSecret: 's' })],
        providers: [Gateway],
      })(App);
      NestFactory.createApplicationContext(App, { logger: false })
        .then((app) => app.close())
        .then(() => process.stdout.write('booted; looked for ' + [...missed].join(', ')));
    `;
    const child = withoutOptionalPeers(script);
    expect(child.stderr).toBe('');
    expect(child.stdout).toBe('booted; looked for @nestjs/graphql');
  });

  it('boots and guards a route without @opentelemetry/api', () => {
    const script = `
      const { Controller, Get, Module } = require('@nestjs/common');
      const { NestFactory } = require('@nestjs/core');
      class C { get() { return 'ok'; } }
      lib.RequireActiveToken()(C.prototype, 'get', Object.getOwnPropertyDescriptor(C.prototype, 'get'));
      Get()(C.prototype, 'get', Object.getOwnPropertyDescriptor(C.prototype, 'get'));
      Controller('c')(C);
      class App {}
      Module({
        imports: [lib.IntrospectionModule.forRoot({ endpoint: 'https://as.invalid/', clientId: 'c', clientSecret: 's' })],
        controllers: [C],
      })(App);
      NestFactory.create(App, { logger: false })
        .then(async (app) => {
          await app.listen(0, '127.0.0.1');
          const answer = await fetch((await app.getUrl()).replace('[::1]', '127.0.0.1') + '/c');
          await app.close();
          process.stdout.write(answer.status + '; looked for ' + [...missed].join(', '));
        });
    `;
    const child = withoutOptionalPeers(script, String.raw`^@opentelemetry\/`);
    expect(child.stderr).toBe('');
    expect(child.stdout).toBe('401; looked for @opentelemetry/api');
  });

  it('introspects over undici without @nestjs/axios and axios, never importing them', () => {
    const script = `
      const { NestFactory } = require('@nestjs/core');
      const { Module } = require('@nestjs/common');
      class App {}
      Module({
        imports: [lib.IntrospectionModule.forRoot({ endpoint: 'http://127.0.0.1:9/introspect', clientId: 'c', clientSecret: 's', transport: { retries: 0 } })],
      })(App);
      NestFactory.createApplicationContext(App, { logger: false }).then(async (app) => {
        const outcome = await app.get(lib.IntrospectionService).introspect('t').then(() => 'answered', (error) => error.name);
        await app.close();
        process.stdout.write(outcome + '; looked for ' + [...missed].join(', '));
      });
    `;
    const child = withoutOptionalPeers(script, AXIOS_PEERS);
    expect(child.stderr).toBe('');
    expect(child.stdout).toBe('IntrospectionUnavailableError; looked for ');
  });

  it("refuses to boot with transport.client 'axios' when its peers are missing, naming the option", () => {
    const script = `
      const { NestFactory } = require('@nestjs/core');
      const { Module } = require('@nestjs/common');
      class App {}
      Module({
        imports: [lib.IntrospectionModule.forRoot({ endpoint: 'http://127.0.0.1:9/introspect', clientId: 'c', clientSecret: 's', transport: { client: 'axios' } })],
      })(App);
      NestFactory.createApplicationContext(App, { logger: false, abortOnError: false }).then(
        () => process.stdout.write('booted'),
        (error) => process.stdout.write(error.name + ': ' + error.message),
      );
    `;
    const child = withoutOptionalPeers(script, AXIOS_PEERS);
    expect(child.stderr).toBe('');
    expect(child.stdout).toMatch(
      /^IntrospectionConfigurationError: Invalid introspection configuration, option "transport.client" \(env INTROSPECTION_TRANSPORT\): is "axios", but @nestjs\/axios and axios could not be loaded/,
    );
  });
});
