import { rmSync } from 'node:fs';
import { CAPTURE_DIR_VARIABLE, findLeaks, readCapture } from './log-capture';

/**
 * Jest global teardown of the e2e project: fails the run when any log line of
 * the whole suite holds a token, secret or key the suite used, or when nothing
 * was captured at all (the check would then prove nothing).
 */
export default function checkLogHygiene(): void {
  const dir = process.env[CAPTURE_DIR_VARIABLE];
  if (!dir) {
    throw new Error('Log hygiene: the capture directory is not set; is the global setup configured?');
  }
  const { logs, secrets } = readCapture(dir);
  const lines = [...logs.values()].reduce((count, text) => count + text.split('\n').length - 1, 0);
  const leaks = findLeaks(logs, secrets);
  if (lines === 0 || secrets.length === 0) {
    throw new Error(
      `Log hygiene: captured ${lines} log lines and ${secrets.length} secrets; the capture is broken.`,
    );
  }
  if (leaks.length > 0) {
    // Where, never what: the report must not repeat the secret either.
    throw new Error(
      `Log hygiene: ${leaks.length} log lines hold a token or secret, e.g. ${dir}/${leaks[0].file} line ${leaks[0].line} (secret #${leaks[0].secret}).`,
    );
  }
  process.stdout.write(
    `\nLog hygiene: ${lines} log lines checked against ${secrets.length} token and secret forms; no leak.\n`,
  );
  rmSync(dir, { recursive: true, force: true });
}
