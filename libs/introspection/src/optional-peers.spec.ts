import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// @nestjs/graphql, @nestjs/websockets and @nestjs/microservices are optional
// peers: an application without them must be able to load the library and
// protect REST routes. A child process where requiring them fails proves it.
describe('optional peer dependencies', () => {
  it('loads the library and guards a REST route without GraphQL, WebSockets or microservices', () => {
    const script = `
      const Module = require('node:module');
      const load = Module._load;
      Module._load = function (request, ...rest) {
        if (/^@nestjs\\/(graphql|websockets|microservices|apollo|platform-socket\\.io)(\\/|$)/.test(request)) {
          throw new Error('Cannot find module ' + request);
        }
        return load.call(this, request, ...rest);
      };
      require('reflect-metadata');
      const lib = require(${JSON.stringify(join(__dirname, 'index.ts'))});
      const { Controller, Get } = require('@nestjs/common');
      class C { get() { return 'ok'; } }
      lib.RequireActiveToken({ scopes: ['read'] })(C.prototype, 'get', Object.getOwnPropertyDescriptor(C.prototype, 'get'));
      Get()(C.prototype, 'get', Object.getOwnPropertyDescriptor(C.prototype, 'get'));
      Controller('c')(C);
      process.stdout.write(typeof lib.ActiveTokenGuard + ' ' + typeof lib.IntrospectedToken);
    `;
    const child = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: join(__dirname, '../../..'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.stderr).toBe('');
    expect(child.stdout).toBe('function function');
  });
});
