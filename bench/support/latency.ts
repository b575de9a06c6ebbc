import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Median latency in microseconds of `count` sequential keep-alive requests,
 * sent by a process of its own (`latency-client.mjs`) so that it does not
 * share an event loop with the server it measures. Fails on any non-200.
 */
export async function medianLatencyUs(request: {
  url: string;
  count: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The core to pin the client to (Linux taskset). */
  cpu?: number;
}): Promise<number> {
  const { cpu, ...rest } = request;
  const client = [process.execPath, join(__dirname, '..', 'latency-client.mjs'), JSON.stringify(rest)];
  const command = cpu === undefined ? client : ['taskset', '-c', String(cpu), ...client];
  const { stdout } = await run(command[0], command.slice(1));
  const result = JSON.parse(stdout) as { p50Us: number; statuses: Record<string, number> };
  if (Object.keys(result.statuses).some((status) => status !== '200')) {
    throw new Error(`${request.url}: unexpected statuses ${JSON.stringify(result.statuses)}`);
  }
  return result.p50Us;
}
