// The demo API in a process of its own for the outage benchmark, configured
// from INTROSPECTION_* variables; prints {"event":"ready","url":...} once listening.
import { createDemoApp } from '../../apps/demo/src/create-demo-app';

async function main(): Promise<void> {
  const app = await createDemoApp('express', { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  process.stdout.write(`${JSON.stringify({ event: 'ready', url })}\n`);
  process.on('disconnect', () => void app.close().then(() => process.exit(0)));
}

void main();
