import { connect } from 'node:net';

/** What came back for a raw request: status, lower-case headers and body text. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * Sends `head` (request line and header lines, without the final blank line)
 * byte for byte over a fresh TCP connection, so that a test can send what
 * node:http refuses to (CR, LF or NUL in a value, obs-fold, raw UTF-8), and
 * reads the answer until the server closes the connection.
 */
export function rawRequest(url: string, head: string | Buffer): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [headText, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = headText.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, body: rest.join('\r\n\r\n') });
    });
    const end = Buffer.from('\r\nConnection: close\r\n\r\n', 'latin1');
    socket.end(Buffer.concat([typeof head === 'string' ? Buffer.from(head, 'latin1') : head, end]));
  });
}
