import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientAuthRequest } from '../client-auth/client-auth-strategy.interface';
import { ClientAuthStrategyRegistry } from '../client-auth/client-auth-strategy.registry';
import { withRejectionHint } from '../client-auth/rejection-hint';
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
import { backoffDelayMs, isRetryableStatus } from '../resilience/retry-policy';
import { parseIntrospectionResponse } from '../result/introspection-response.parser';
import { FormPostClient, FormPostOutcome } from './form-post.client';

/**
 * Sends RFC 7662 introspection requests and parses the answers: one total
 * deadline per introspection, bounded retries of transient failures within
 * it, a circuit breaker per endpoint, one more request when the client
 * authentication strategy renews stale credentials after a 401. No cache.
 * @internal
 */
@Injectable()
export class IntrospectionHttpClient {
  constructor(
    private readonly http: FormPostClient,
    private readonly strategies: ClientAuthStrategyRegistry,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
    private readonly breakers: CircuitBreakers,
    private readonly events: IntrospectionEvents,
  ) {}

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
    // One deadline for all attempts, connection to last byte.
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

  private async attempts(
    token: string,
    tokenTypeHint: string,
    deadline: AbortSignal,
    count: () => number,
  ): Promise<IntrospectionResult> {
    const { endpoint, retries, retryBackoffMs, timeoutMs } = this.options;
    const strategy = this.strategies.active;
    const startedAt = performance.now();
    let renewed = false;
    let retry = 0;
    for (;;) {
      const attempt = count();
      const { request, outcome } = await this.attempt(endpoint, token, tokenTypeHint, deadline);
      if (
        'response' in outcome &&
        outcome.response.status === 401 &&
        !renewed &&
        !deadline.aborted &&
        (await strategy.onUnauthorized?.(request, this.options))
      ) {
        // Stale credentials renewed: once more, built and authenticated anew.
        renewed = true;
        continue;
      }
      const transient =
        'response' in outcome ? isRetryableStatus(outcome.response.status) : outcome.retryable;
      if (transient && retry < retries && !deadline.aborted) {
        retry++;
        const delayMs = backoffDelayMs(retry, retryBackoffMs);
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
      try {
        return parseIntrospectionResponse(outcome.response);
      } catch (error) {
        throw withRejectionHint(error, strategy, this.options);
      }
    }
  }

  private async attempt(
    endpoint: string,
    token: string,
    tokenTypeHint: string,
    deadline: AbortSignal,
  ): Promise<{ request: ClientAuthRequest; outcome: FormPostOutcome }> {
    // RFC 7662 §2.1: a form-encoded POST. URLSearchParams percent-encodes
    // "+", "/" and "=", so the server decodes the token byte for byte.
    const request: ClientAuthRequest = {
      endpoint,
      headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: tokenTypeHint }),
    };
    // Per attempt: a strategy may put single-use values (an assertion jti) in.
    await this.strategies.active.authenticate(request, this.options);
    const outcome = await this.http.send(
      endpoint,
      request.headers,
      request.body.toString(),
      'introspection endpoint',
      deadline,
    );
    return { request, outcome };
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
