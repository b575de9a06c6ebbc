import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAPTURE_DIR_VARIABLE } from './log-capture';

/** Jest global setup of the e2e project: a fresh directory for the log capture. */
export default function setUpLogCapture(): void {
  process.env[CAPTURE_DIR_VARIABLE] = mkdtempSync(join(tmpdir(), 'introspection-e2e-logs-'));
}
