import type { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Agent, type Dispatcher } from 'undici';
import type { IntrospectionTlsOptions } from '../interfaces/introspection-options.interface';
import { isRetryableCode } from '../resilience/retry-policy';
import type { IntrospectionHttpResponse } from '../result/introspection-response.parser';
import { FormPostRequest, FormPostTransport, FormPostTransportError } from './form-post.transport';

/** undici's codes of a connection lost or never made, worth another attempt like their Node counterparts. */
const RETRYABLE_UNDICI_CODES = new Set(['UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/** Parsed POST targets kept: the few endpoints the module calls (introspection, token). */
const MAX_PARSED_TARGETS = 16;

/**
 * The default transport: one undici `Agent` (a keep-alive pool per origin)
 * per module instance, requests through `dispatcher.request()`, the fastest
 * of undici's APIs. undici follows no redirect unless given its redirect
 * interceptor, and reads no `HTTP_PROXY` unless it is an `EnvHttpProxyAgent`:
 * neither is used here, on purpose.
 * @internal
 */
export class UndiciTransport implements FormPostTransport {
  private readonly agent: Agent;
  /** `origin` and `path` of each POST URL, parsed once (GET URLs carry the token: never kept). */
  private readonly targets = new Map<string, { origin: string; path: string }>();

  constructor(tls?: IntrospectionTlsOptions) {
    this.agent = new Agent({
      // CA bundle and client certificate (mTLS) apply to every https request.
      connect: tls ? { ...tls } : undefined,
      // The caller's AbortSignal is the one total deadline, connection to
      // last byte; undici's own timeouts only bound inactivity, and would
      // cost a timer per request.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  async send(request: FormPostRequest): Promise<IntrospectionHttpResponse> {
    const { origin, path } = this.target(request);
    let answer: Dispatcher.ResponseData;
    try {
      answer = await this.agent.request({
        origin,
        path,
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: request.signal,
      });
    } catch (error) {
      throw transportError(error, request.signal);
    }
    const headers = flatHeaders(answer.headers);
    const declared = headers['content-length'];
    if (declared !== undefined && Number(declared) > request.maxResponseBytes) {
      // Destroyed unread, the body reports an abort: expected, not to be thrown.
      answer.body.once('error', ignore).destroy();
      throw new FormPostTransportError('too_large');
    }
    let body: string;
    try {
      body = await readCapped(answer.body, request.maxResponseBytes);
    } catch (error) {
      throw transportError(error, request.signal);
    }
    // undici hands a keep-alive socket back to its pool one event-loop turn
    // after the answer (setImmediate, for servers that close it anyway):
    // waiting for that turn, queued after undici's, lets the caller's next
    // request reuse the connection instead of opening another one.
    await nextTurn();
    return { status: answer.statusCode, headers, body };
  }

  async close(): Promise<void> {
    // destroy, not close: in-flight requests are aborted, not awaited.
    await this.agent.destroy();
  }

  private target(request: FormPostRequest): { origin: string; path: string } {
    const known = request.method === 'POST' ? this.targets.get(request.url) : undefined;
    if (known) {
      return known;
    }
    const url = new URL(request.url);
    const parsed = { origin: url.origin, path: `${url.pathname}${url.search}` };
    if (request.method === 'POST') {
      if (this.targets.size >= MAX_PARSED_TARGETS) {
        this.targets.clear();
      }
      this.targets.set(request.url, parsed);
    }
    return parsed;
  }
}

/** The body as UTF-8 text, read until `cap` bytes; one byte more is `too_large`. */
function readCapped(body: Readable, cap: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > cap) {
        // Enforced while the body streams in: the connection is dropped
        // as soon as the answer grows past the cap.
        body.destroy();
        reject(new FormPostTransportError('too_large'));
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () =>
      resolve(
        chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, size).toString('utf8'),
      ),
    );
    body.once('error', reject);
  });
}

/**
 * undici's header object, lower-case names already, with a repeated header
 * joined the way axios showed it; copied only when one is repeated.
 */
function flatHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string | undefined> {
  for (const name in headers) {
    if (Array.isArray(headers[name])) {
      return Object.fromEntries(
        Object.entries(headers).map(([key, value]) => [key, Array.isArray(value) ? value.join(', ') : value]),
      );
    }
  }
  return headers as Record<string, string | undefined>;
}

function ignore(): void {}

function transportError(error: unknown, signal: AbortSignal): unknown {
  if (error instanceof FormPostTransportError || signal.aborted) {
    return error;
  }
  const code =
    typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined;
  return new FormPostTransportError(
    'unreachable',
    code,
    isRetryableCode(code) || (code !== undefined && RETRYABLE_UNDICI_CODES.has(code)),
  );
}
