import { request } from 'node:http';

/** An HTTP answer, body read in full. */
export interface HttpAnswer {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** The body parsed as JSON. */
  json<T = Record<string, unknown>>(): T;
}

/**
 * Sends one request with node:http on a fresh connection (no agent), so no
 * socket outlives the call and the test controls every header sent (a header
 * given as an array is sent once per value).
 */
export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: <T>() => JSON.parse(body) as T,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
