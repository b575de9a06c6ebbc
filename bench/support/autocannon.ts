import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Requests per second from autocannon, run as its own process (pinned to
 * `cpu` when given); fails on any non-2xx answer or error.
 */
export async function throughput(
  url: string,
  headers: Record<string, string>,
  {
    connections = 20,
    seconds = 3,
    method,
    body,
    cpu,
  }: { connections?: number; seconds?: number; method?: string; body?: string; cpu?: number } = {},
): Promise<number> {
  const args = ['-c', String(connections), '-d', String(seconds), '-j'];
  if (method) {
    args.push('-m', method);
  }
  if (body !== undefined) {
    args.push('-b', body);
  }
  for (const [name, value] of Object.entries(headers)) {
    args.push('-H', `${name}=${value}`);
  }
  const autocannon = join(__dirname, '..', '..', 'node_modules', '.bin', 'autocannon');
  // Pinned to a core of its own (Linux taskset) when asked, away from the server it loads.
  const [command, commandArgs] =
    cpu === undefined
      ? [autocannon, [...args, url]]
      : ['taskset', ['-c', String(cpu), autocannon, ...args, url]];
  const { stdout } = await run(command, commandArgs, { maxBuffer: 16 * 1024 * 1024 });
  const result = JSON.parse(stdout) as { requests: { average: number }; non2xx: number; errors: number };
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  return result.requests.average;
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
