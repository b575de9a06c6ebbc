import { HttpService } from '@nestjs/axios';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { AxiosError } from 'axios';
import * as http from 'node:http';
import * as https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstValueFrom } from 'rxjs';
import { ClientAuthStrategyRegistry } from '../client-auth/client-auth-strategy.registry';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import {
  IntrospectionCircuitOpenError,
  IntrospectionResponseError,
  IntrospectionUnavailableError,
} from '../errors/introspection.errors';
import { IntrospectionEvents, IntrospectionFailureOutcome } from '../events/introspection-events';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import { CircuitBreakers } from '../resilience/circuit-breakers';
import { backoffDelayMs, isRetryableCode, isRetryableStatus } from '../resilience/retry-policy';
import {
  IntrospectionHttpResponse,
  parseIntrospectionResponse,
} from '../result/introspection-response.parser';

/** One attempt's outcome: an HTTP answer, or a transport failure already turned into our error. */
type Attempt =
  { readonly response: IntrospectionHttpResponse } | { readonly error: Error; readonly retryable: boolean };

/**
 * Sends RFC 7662 introspection requests over keep-alive connections and
 * parses the answers: one total deadline per introspection, bounded retries
 * of transient failures within it, a circuit breaker per endpoint. No cache.
 * @internal
 */
@Injectable()
export class IntrospectionHttpClient implements OnModuleDestroy {
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent: https.Agent;

  constructor(
    private readonly http: HttpService,
    private readonly strategies: ClientAuthStrategyRegistry,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
    private readonly breakers: CircuitBreakers,
    private readonly events: IntrospectionEvents,
  ) {
    // CA bundle and client certificate (mTLS) apply to every https request.
    this.httpsAgent = new https.Agent({ keepAlive: true, ...options.tls });
  }

  /**
   * Asks the introspection endpoint about `token`.
   * @throws IntrospectionUnavailableError when there is no answer (IntrospectionCircuitOpenError when not even asked)
   * @throws IntrospectionResponseError when the answer is not usable
   */
  async introspect(token: string, tokenTypeHint: string): Promise<IntrospectionResult> {
    const { endpoint } = this.options;
    const breaker = this.breakers.for(endpoint);
    const startedAt = performance.now();
    let attempts = 0;
    try {
      breaker?.acquire();
    } catch (error) {
      this.events.emit('introspection.failed', {
        endpoint,
        durationMs: 0,
        attempts,
        outcome: 'circuit_open',
      });
      throw error;
    }
    this.events.emit('introspection.started', { endpoint });
    // A total deadline for all attempts, connection to last byte: axios' own
    // `timeout` only bounds inactivity, which a slow-drip body would keep resetting.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.options.timeoutMs);
    try {
      const result = await this.attempts(token, tokenTypeHint, deadline.signal, () => ++attempts);
      breaker?.succeeded();
      this.events.emit('introspection.succeeded', {
        endpoint,
        durationMs: performance.now() - startedAt,
        attempts,
        active: result.active,
      });
      return result;
    } catch (error) {
      const outcome = failureOutcome(error);
      if (outcome === 'error') {
        breaker?.released();
      } else {
        // Every other failure is the server's or the transport's: the token
        // is only ever judged by an answer, which is a success here.
        breaker?.failed();
      }
      this.events.emit('introspection.failed', {
        endpoint,
        durationMs: performance.now() - startedAt,
        attempts,
        outcome,
      });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  onModuleDestroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async attempts(
    token: string,
    tokenTypeHint: string,
    deadline: AbortSignal,
    count: () => number,
  ): Promise<IntrospectionResult> {
    const { endpoint, retries, retryBackoffMs, timeoutMs } = this.options;
    const startedAt = performance.now();
    for (let retry = 0; ; retry++) {
      const attempt = count();
      const outcome = await this.attempt(endpoint, token, tokenTypeHint, deadline);
      const transient =
        'response' in outcome ? isRetryableStatus(outcome.response.status) : outcome.retryable;
      if (transient && retry < retries && !deadline.aborted) {
        const delayMs = backoffDelayMs(retry + 1, retryBackoffMs);
        // The retry must fit in what is left of the same deadline.
        if (performance.now() - startedAt + delayMs < timeoutMs) {
          this.events.emit('introspection.retry', { endpoint, attempt, delayMs });
          await sleep(delayMs);
          continue;
        }
      }
      if ('error' in outcome) {
        throw outcome.error;
      }
      return parseIntrospectionResponse(outcome.response);
    }
  }

  private async attempt(
    endpoint: string,
    token: string,
    tokenTypeHint: string,
    deadline: AbortSignal,
  ): Promise<Attempt> {
    // RFC 7662 §2.1: a form-encoded POST. URLSearchParams percent-encodes
    // "+", "/" and "=", so the server decodes the token byte for byte.
    const body = new URLSearchParams({ token, token_type_hint: tokenTypeHint });
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'Content-Type': 'application/x-www-form-urlencoded',
    };
    // Per attempt: a strategy may put single-use values (an assertion jti) in.
    await this.strategies.active.authenticate({ endpoint, headers, body }, this.options);
    try {
      return { response: await this.post(endpoint, headers, body.toString(), deadline) };
    } catch (error) {
      return this.transportError(error, deadline.aborted);
    }
  }

  private async post(
    url: string,
    headers: Record<string, string>,
    body: string,
    deadline: AbortSignal,
  ): Promise<IntrospectionHttpResponse> {
    const response = await firstValueFrom(
      this.http.post<string>(url, body, {
        headers,
        signal: deadline,
        maxRedirects: 0,
        responseType: 'text',
        transformResponse: [(data: string) => data],
        validateStatus: () => true,
        // Enforced while the body streams in: the connection is dropped as
        // soon as the answer grows past the cap.
        maxContentLength: this.options.maxResponseBytes,
        // Never through a proxy picked up from HTTP_PROXY behind the
        // application's back: the request carries the token and credentials.
        proxy: false,
        httpAgent: this.httpAgent,
        httpsAgent: this.httpsAgent,
      }),
    );
    return {
      status: response.status,
      headers: Object.fromEntries(
        Object.entries(response.headers).map(([name, value]) => [
          name.toLowerCase(),
          value === undefined ? undefined : String(value),
        ]),
      ),
      body: typeof response.data === 'string' ? response.data : String(response.data ?? ''),
    };
  }

  private transportError(error: unknown, timedOut: boolean): Attempt {
    if (timedOut) {
      return {
        retryable: false,
        error: new IntrospectionUnavailableError(
          `The introspection endpoint did not answer within ${this.options.timeoutMs} ms.`,
        ),
      };
    }
    const code = error instanceof AxiosError ? error.code : undefined;
    if (error instanceof AxiosError && /maxContentLength/.test(error.message)) {
      return {
        retryable: false,
        error: new IntrospectionResponseError(
          'malformed_response',
          `The introspection endpoint's answer exceeds ${this.options.maxResponseBytes} bytes (maxResponseBytes).`,
        ),
      };
    }
    // Neither the cause nor its message is kept: axios errors carry the
    // request, whose body holds the token and maybe the client secret.
    return {
      retryable: isRetryableCode(code),
      error: new IntrospectionUnavailableError(
        `The introspection endpoint could not be reached${code ? ` (${code})` : ''}.`,
      ),
    };
  }
}

function failureOutcome(error: unknown): IntrospectionFailureOutcome {
  if (error instanceof IntrospectionCircuitOpenError) {
    return 'circuit_open';
  }
  if (error instanceof IntrospectionUnavailableError) {
    return 'unavailable';
  }
  if (error instanceof IntrospectionResponseError) {
    return error.reason;
  }
  return 'error';
}
