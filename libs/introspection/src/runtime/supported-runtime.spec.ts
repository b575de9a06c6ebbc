import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  assertSupportedRuntime,
  isSupportedNode,
  SUPPORTED_NODE_RANGE,
  unsupportedRuntime,
} from './supported-runtime';

const run = promisify(execFile);

describe('supported runtime', () => {
  it.each(['20.19.0', '20.20.2', '22.12.0', '22.23.3', '24.0.0', '24.21.0', '25.1.0', 'v20.19.1'])(
    'accepts Node.js %s',
    (version) => {
      expect(isSupportedNode(version)).toBe(true);
      expect(unsupportedRuntime(version, '12.5.1')).toBeUndefined();
    },
  );

  it.each(['18.20.4', '20.18.3', '21.7.3', '22.11.0', '23.11.0', 'v16.0.0'])(
    'refuses Node.js %s',
    (version) => {
      expect(isSupportedNode(version)).toBe(false);
      expect(unsupportedRuntime(version, '12.5.1')).toBe(
        `nestjs-introspection: Node.js ${version.replace('v', '')} is not supported (supported: ${SUPPORTED_NODE_RANGE}).`,
      );
    },
  );

  it.each(['11.0.0', '11.1.9', '12.0.0', '12.5.1'])('accepts @nestjs/common %s', (version) => {
    expect(unsupportedRuntime('24.21.0', version)).toBeUndefined();
  });

  it.each(['10.4.15', '9.0.0', '13.0.0'])(
    'refuses @nestjs/common %s, naming both ranges with Node',
    (version) => {
      expect(unsupportedRuntime('24.21.0', version)).toBe(
        `nestjs-introspection: @nestjs/common ${version} is not supported (supported: NestJS 11 and 12).`,
      );
      expect(unsupportedRuntime('18.0.0', version)).toMatch(
        /Node\.js 18\.0\.0 is not supported .*; @nestjs\/common/,
      );
    },
  );

  it('throws an error with a code on an unsupported runtime', () => {
    let thrown: unknown;
    try {
      assertSupportedRuntime('18.20.4', '12.5.1');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).toMatchObject({ code: 'ERR_UNSUPPORTED_RUNTIME' });
    expect((thrown as Error).message).toContain('Node.js 18.20.4');
    expect(() => assertSupportedRuntime('20.19.0', '10.0.0')).toThrow(/@nestjs\/common 10\.0\.0/);
    expect(() => assertSupportedRuntime()).not.toThrow();
  });

  it('runs before anything else the entry points load', async () => {
    // A real Node process that pretends to be Node 18 before loading the
    // package's sources: the first error is ours, not one from a dependency.
    const script = `
      Object.defineProperty(process.versions, 'node', { value: '18.20.4' });
      try { require(${JSON.stringify(join(__dirname, '..'))}); } catch (error) { console.log(error.code + ' ' + error.message); }
    `;
    const { stdout } = await run(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: join(__dirname, '../../../..'),
    });
    expect(stdout.trim()).toBe(
      `ERR_UNSUPPORTED_RUNTIME nestjs-introspection: Node.js 18.20.4 is not supported (supported: ${SUPPORTED_NODE_RANGE}).`,
    );
  });
});
