import { Logger } from '@nestjs/common';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { IntrospectionEvents } from './introspection-events';

/** A claim a payload could carry: it must never reach the log. */
const CLAIM = 'alice@example.com';

describe('IntrospectionEvents', () => {
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('survives a listener returning a rejected promise: no unhandled rejection, the others still called (real Node process)', () => {
    // Node exits on an unhandled rejection by default: a child process shows
    // whether the process would survive, which Jest's sandbox hides.
    const script = `
      require('reflect-metadata');
      const { Logger } = require('@nestjs/common');
      const logged = [];
      Logger.overrideLogger({ log() {}, warn() {}, debug() {}, verbose() {}, error: (message) => logged.push(String(message)) });
      const { IntrospectionEvents } = require(${JSON.stringify(join(__dirname, 'introspection-events.ts'))});
      const events = new IntrospectionEvents();
      let called = 0;
      events.on('cache.hit', async (payload) => { throw new Error('rejected with ' + payload.claim); });
      events.on('cache.hit', () => { throw new TypeError('threw ' + ${JSON.stringify(CLAIM)}); });
      events.on('cache.hit', () => { called++; });
      events.emit('cache.hit', { stale: false, claim: ${JSON.stringify(CLAIM)} });
      events.emit('cache.hit', { stale: false, claim: ${JSON.stringify(CLAIM)} });
      setTimeout(() => process.stdout.write(JSON.stringify({ called, logged })), 50);
    `;
    const child = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: join(__dirname, '../../../..'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const { called, logged } = JSON.parse(child.stdout) as { called: number; logged: string[] };
    expect(called).toBe(2);
    // Once per failing listener within the interval, without the payload.
    expect(logged).toHaveLength(2);
    expect(logged.join('\n')).not.toContain(CLAIM);
    expect(logged).toEqual(
      expect.arrayContaining([
        expect.stringContaining('"cache.hit" returned a promise that rejected with Error'),
        expect.stringContaining('"cache.hit" threw TypeError'),
      ]),
    );
  });

  it('reports a failing listener at most once per minute, with the count of those not reported', async () => {
    jest.useFakeTimers();
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const events = new IntrospectionEvents();
    events.on('cache.miss', () => Promise.reject(new Error(CLAIM)));
    for (let i = 0; i < 3; i++) {
      events.emit('cache.miss', {});
    }
    await Promise.resolve();
    await Promise.resolve();
    expect(error).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(60_000);
    events.emit('cache.miss', {});
    await Promise.resolve();
    await Promise.resolve();
    expect(error).toHaveBeenCalledTimes(2);
    expect(error.mock.calls[1][0]).toContain('failed 2 more time(s)');
    expect(JSON.stringify(error.mock.calls)).not.toContain(CLAIM);
  });

  it('never throws from emit, even when the logger does', () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => {
      throw new Error('logger down');
    });
    const events = new IntrospectionEvents();
    events.on('cache.miss', () => {
      throw new Error('listener');
    });
    expect(() => events.emit('cache.miss', {})).not.toThrow();
  });
});
