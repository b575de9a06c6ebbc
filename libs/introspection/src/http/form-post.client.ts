import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import { IntrospectionResponseError, IntrospectionUnavailableError } from '../errors/introspection.errors';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import { INTROSPECTION_FORM_POST_TRANSPORT } from '../introspection.constants';
import type { IntrospectionHttpResponse } from '../result/introspection-response.parser';
import { type FormPostTransport, FormPostTransportError } from './form-post.transport';

/** What an error code looks like (ECONNREFUSED, UND_ERR_SOCKET): anything else is not shown. */
const ERROR_CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

/**
 * One request's outcome: an HTTP answer, or a transport failure already
 * turned into our error, with whether sending again is worth it.
 * @internal
 */
export type FormPostOutcome =
  { readonly response: IntrospectionHttpResponse } | { readonly error: Error; readonly retryable: boolean };

/**
 * Sends the requests of the module (form-encoded POSTs to the introspection
 * and token endpoints, GETs to the introspection endpoint with
 * `method: 'GET'`) through the configured transport (`transport.client`),
 * within the `timeout` deadline and the `maxResponseBytes` limit, and turns
 * its failures into the module's errors, never quoting the request.
 * @internal
 */
@Injectable()
export class FormPostClient implements OnModuleDestroy {
  constructor(
    @Inject(INTROSPECTION_FORM_POST_TRANSPORT) private readonly transport: FormPostTransport,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
  ) {}

  /**
   * POSTs `body` to `url` and returns the answer whatever its status.
   * `target` names the endpoint in error messages, e.g. "introspection endpoint".
   * @throws IntrospectionUnavailableError when there is no answer
   * @throws IntrospectionResponseError when the answer is too large
   */
  post(
    url: string,
    headers: Record<string, string>,
    body: string,
    target: string,
  ): Promise<IntrospectionHttpResponse> {
    return this.unwrap(this.send('POST', url, headers, target, body));
  }

  /**
   * GETs `url` (its query carries the parameters) and returns the answer
   * whatever its status, under the same deadline and limits as {@link post}.
   * @throws IntrospectionUnavailableError when there is no answer
   * @throws IntrospectionResponseError when the answer is too large
   */
  get(url: string, headers: Record<string, string>, target: string): Promise<IntrospectionHttpResponse> {
    return this.unwrap(this.send('GET', url, headers, target));
  }

  /**
   * Like {@link post} and {@link get}, but reports a transport failure
   * instead of throwing it. Without `deadline`, the request gets its own
   * `timeout` deadline; a caller that retries passes one deadline for all
   * its attempts. `headers` are sent as given, not copied.
   */
  async send(
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    target: string,
    body?: string,
    deadline?: AbortSignal,
  ): Promise<FormPostOutcome> {
    // A total deadline, connection to last byte (body read included): the
    // libraries' own timeouts only bound inactivity, which a slow-drip body
    // would keep resetting.
    const own = deadline ? undefined : new AbortController();
    const timer = own && setTimeout(() => own.abort(), this.options.timeoutMs);
    const signal = deadline ?? own!.signal;
    try {
      return {
        response: await this.transport.send({
          method,
          url,
          headers,
          body,
          signal,
          maxResponseBytes: this.options.maxResponseBytes,
        }),
      };
    } catch (error) {
      return this.transportError(error, signal.aborted, target);
    } finally {
      if (timer) {
        clearTimeout(timer);
      }
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.transport.close();
  }

  private async unwrap(pending: Promise<FormPostOutcome>): Promise<IntrospectionHttpResponse> {
    const outcome = await pending;
    if ('error' in outcome) {
      throw outcome.error;
    }
    return outcome.response;
  }

  private transportError(error: unknown, timedOut: boolean, target: string): FormPostOutcome {
    if (timedOut) {
      return {
        retryable: false,
        error: new IntrospectionUnavailableError(
          `The ${target} did not answer within ${this.options.timeoutMs} ms.`,
        ),
      };
    }
    const failure = error instanceof FormPostTransportError ? error : undefined;
    if (failure?.reason === 'too_large') {
      return {
        retryable: false,
        error: new IntrospectionResponseError(
          'malformed_response',
          `The ${target}'s answer exceeds ${this.options.maxResponseBytes} bytes (maxResponseBytes).`,
        ),
      };
    }
    // Only the code: the transports keep nothing of the request, whose body
    // holds the token and maybe the client secret.
    const code = failure?.code && ERROR_CODE.test(failure.code) ? failure.code : undefined;
    return {
      retryable: failure?.retryable ?? false,
      error: new IntrospectionUnavailableError(
        `The ${target} could not be reached${code ? ` (${code})` : ''}.`,
      ),
    };
  }
}
