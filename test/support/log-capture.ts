import type { LoggerService } from '@nestjs/common';
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';

// Every log line of the e2e suite goes to files in one directory, with every
// token and secret the suite uses; the global teardown then checks that no
// line holds any of them (see log-hygiene.teardown.ts).

/** Environment variable naming the capture directory, set by the global setup. */
export const CAPTURE_DIR_VARIABLE = 'INTROSPECTION_E2E_LOG_DIR';

function captureDir(): string {
  let dir = process.env[CAPTURE_DIR_VARIABLE];
  if (!dir) {
    // A spec run on its own, without the global setup: capture anyway.
    dir = join(tmpdir(), `introspection-e2e-logs-${process.pid}`);
    process.env[CAPTURE_DIR_VARIABLE] = dir;
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Appends one captured log line (Jest runs specs in several processes: one file each). */
export function captureLogLine(line: string): void {
  appendFileSync(join(captureDir(), `logs-${process.pid}.txt`), `${line.replace(/\n/g, '\\n')}\n`);
}

/**
 * Records a value that must never appear in a log line: a token sent, a
 * client secret configured, a key. Encoded forms it may travel in are
 * recorded with it (form-encoded, and base64 in Basic credentials).
 */
export function recordSecret(value: string | undefined): void {
  // Outside Jest (the benchmarks share these helpers) there is nothing to check.
  if (process.env.JEST_WORKER_ID === undefined && process.env[CAPTURE_DIR_VARIABLE] === undefined) {
    return;
  }
  if (!value || value.length < 8) {
    // Too short to tell apart from ordinary words.
    return;
  }
  const forms = [value, new URLSearchParams({ v: value }).toString().slice(2), encodeURIComponent(value)];
  appendFileSync(
    join(captureDir(), `secrets-${process.pid}.txt`),
    forms.map((form) => `${JSON.stringify(form)}\n`).join(''),
  );
}

/**
 * The Nest logger of every demo the e2e suite boots: nothing on the console,
 * every line (with its context and extra parameters) to the capture.
 */
export class CapturingLogger implements LoggerService {
  log(message: unknown, ...params: unknown[]): void {
    this.capture('LOG', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.capture('ERROR', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.capture('WARN', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.capture('DEBUG', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.capture('VERBOSE', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.capture('FATAL', message, params);
  }

  protected capture(level: string, message: unknown, params: unknown[]): void {
    const text = [message, ...params]
      .map((part) => (typeof part === 'string' ? part : inspect(part, { depth: 6 })))
      .join(' ');
    captureLogLine(`${level} ${text}`);
  }
}

/** One log line that holds a recorded secret: where, never what. */
export interface Leak {
  readonly file: string;
  readonly line: number;
  /** Which recorded secret (its index), so that the report does not repeat it. */
  readonly secret: number;
}

/** The log lines among `logs` (file name -> text) that contain any of `secrets`. */
export function findLeaks(logs: ReadonlyMap<string, string>, secrets: readonly string[]): Leak[] {
  const leaks: Leak[] = [];
  for (const [file, text] of logs) {
    text.split('\n').forEach((line, index) => {
      const secret = secrets.findIndex((value) => line.includes(value));
      if (secret >= 0) {
        leaks.push({ file, line: index + 1, secret });
      }
    });
  }
  return leaks;
}

/** Reads what was captured in `dir`: log files by name, and the distinct secrets. */
export function readCapture(dir: string): { logs: Map<string, string>; secrets: string[] } {
  const logs = new Map<string, string>();
  const secrets = new Set<string>();
  for (const name of readdirSync(dir)) {
    const text = readFileSync(join(dir, name), 'utf8');
    if (name.startsWith('logs-')) {
      logs.set(name, text);
    } else if (name.startsWith('secrets-')) {
      for (const line of text.split('\n').filter(Boolean)) {
        secrets.add(JSON.parse(line) as string);
      }
    }
  }
  return { logs, secrets: [...secrets] };
}
