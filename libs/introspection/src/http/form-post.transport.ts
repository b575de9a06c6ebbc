import type { IntrospectionHttpResponse } from '../result/introspection-response.parser';

/**
 * One request as {@link FormPostClient} hands it to a transport.
 * @internal
 */
export interface FormPostRequest {
  readonly method: 'GET' | 'POST';
  /** Absolute `http:` or `https:` URL (already checked at boot). */
  readonly url: string;
  /** Sent as they are: the transport neither copies nor mutates them. */
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** The total deadline, connection to last byte (body read included). */
  readonly signal: AbortSignal;
  /** Largest body read; past it the transport stops reading and throws `too_large`. */
  readonly maxResponseBytes: number;
}

/**
 * A transport failure with nothing of the request in it: neither the cause
 * nor its message is kept, as the libraries' errors carry the request, whose
 * body holds the token and maybe the client secret.
 * @internal
 */
export class FormPostTransportError extends Error {
  constructor(
    /** `too_large`: the answer grew past `maxResponseBytes`; `unreachable`: no whole answer. */
    readonly reason: 'too_large' | 'unreachable',
    /** The library's or Node's error code (`ECONNREFUSED`, `UND_ERR_SOCKET`, ...), when there is one. */
    readonly code?: string,
    /** Whether sending the same request again is worth it (connection refused, reset, ...). */
    readonly retryable = false,
  ) {
    super(reason);
    this.name = 'FormPostTransportError';
  }
}

/**
 * The HTTP client behind {@link FormPostClient}: undici (the default) or
 * axios (`transport.client: 'axios'`). Each keeps a keep-alive pool with the
 * `transport.tls` settings, never follows a redirect, never goes through a
 * proxy from the environment, and is closed (in-flight requests aborted)
 * when the module is destroyed.
 * @internal
 */
export interface FormPostTransport {
  /**
   * Sends `request` and returns the answer whatever its status.
   * @throws FormPostTransportError when there is no whole answer within the cap
   * @throws anything else only when `request.signal` aborted (the caller reads that as the deadline)
   */
  send(request: FormPostRequest): Promise<IntrospectionHttpResponse>;

  /** Closes the pool, aborting in-flight requests. */
  close(): Promise<void>;
}
