import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientAuthRequest } from '../client-auth/client-auth-strategy.interface';
import { ClientAuthStrategyRegistry } from '../client-auth/client-auth-strategy.registry';
import { withRejectionHint } from '../client-auth/rejection-hint';
import { AuthorizationServerMetadataService } from '../discovery/authorization-server-metadata.service';
import { InjectIntrospectionOptions } from '../decorators/inject-introspection-options.decorator';
import { IntrospectionUnavailableError } from '../errors/introspection.errors';
import { failureOutcome } from '../events/failure-outcome';
import { IntrospectionEvents } from '../events/introspection-events';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import type { IntrospectionResult } from '../interfaces/introspection-result.interface';
import { CircuitBreakers } from '../resilience/circuit-breakers';
import { isEndpointFailure } from '../resilience/breaker-policy';
import { backoffDelayMs, isRetryableStatus } from '../resilience/retry-policy';
import { parseIntrospectionResponse } from '../result/introspection-response.parser';
import {
  JWT_INTROSPECTION_MEDIA_TYPE,
  JwtIntrospectionResponseVerifier,
} from '../result/jwt-introspection-response.verifier';
import { FormPostClient, FormPostOutcome } from './form-post.client';

const TARGET = 'introspection endpoint';

/**
 * Sends RFC 7662 introspection requests and parses the answers: one total
 * deadline per introspection, bounded retries of transient failures within
 * it, a circuit breaker per endpoint, one more request when the client
 * authentication strategy renews stale credentials after a 401. No cache.
 * @internal
 */
@Injectable()
export class IntrospectionHttpClient {
  /**
   * The headers every attempt starts from, built once: each attempt gets a
   * copy, which its client-auth strategy may add to (Authorization, DPoP).
   */
  private readonly baseHeaders: Readonly<Record<string, string>>;

  constructor(
    private readonly http: FormPostClient,
    private readonly strategies: ClientAuthStrategyRegistry,
    private readonly metadata: AuthorizationServerMetadataService,
    private readonly jwtResponses: JwtIntrospectionResponseVerifier,
    @InjectIntrospectionOptions() private readonly options: ResolvedIntrospectionOptions,
    private readonly breakers: CircuitBreakers,
    private readonly events: IntrospectionEvents,
  ) {
    const { method, requestHeaders, responseFormat } = options;
    this.baseHeaders = {
      ...requestHeaders,
      // RFC 9701 §4: ask for a signed answer.
      Accept: responseFormat === 'jwt' ? JWT_INTROSPECTION_MEDIA_TYPE : 'application/json',
      ...(method === 'POST' ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
    };
  }

  /**
   * Asks the introspection endpoint about `token`.
   * @throws IntrospectionUnavailableError when there is no answer (IntrospectionCircuitOpenError when not even asked)
   * @throws IntrospectionResponseError when the answer is not usable
   */
  async introspect(token: string, tokenTypeHint: string): Promise<IntrospectionResult> {
    try {
      // The configured or the discovered endpoint; each has its own breaker.
      return await this.guarded(this.metadata.introspectionEndpoint(), token, tokenTypeHint);
    } catch (error) {
      if (error instanceof IntrospectionUnavailableError) {
        // The endpoint may have moved (an open breaker included): let
        // discovery look again (rate-limited).
        this.metadata.onIntrospectionUnavailable();
      }
      throw error;
    }
  }

  private async guarded(
    endpoint: string,
    token: string,
    tokenTypeHint: string,
  ): Promise<IntrospectionResult> {
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
      const result = await this.attempts(endpoint, token, tokenTypeHint, deadline.signal, () => ++attempts);
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
      if (isEndpointFailure(error)) {
        breaker?.failed();
      } else {
        breaker?.released();
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
    endpoint: string,
    token: string,
    tokenTypeHint: string,
    deadline: AbortSignal,
    count: () => number,
  ): Promise<IntrospectionResult> {
    const { retries, retryBackoffMs, timeoutMs } = this.options;
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
      // Parsed once the exchange is over: an unusable answer (malformed JSON,
      // a JWT that fails verification) is never retried.
      try {
        return this.options.responseFormat === 'jwt'
          ? await this.jwtResponses.verify(outcome.response)
          : parseIntrospectionResponse(outcome.response);
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
    const { method, requestParams } = this.options;
    // RFC 7662 §2.1: a form-encoded POST. URLSearchParams percent-encodes
    // "+", "/" and "=", so the server decodes the token byte for byte.
    const body = new URLSearchParams(requestParams);
    body.set('token', token);
    body.set('token_type_hint', tokenTypeHint);
    const request: ClientAuthRequest = { endpoint, headers: { ...this.baseHeaders }, body };
    // Per attempt: a strategy may put single-use values (an assertion jti) in.
    await this.strategies.active.authenticate(request, this.options);
    const outcome =
      method === 'GET'
        ? await this.http.send(
            'GET',
            withQuery(endpoint, request.body),
            request.headers,
            TARGET,
            undefined,
            deadline,
          )
        : await this.http.send('POST', endpoint, request.headers, TARGET, request.body.toString(), deadline);
    return { request, outcome };
  }
}

/** `url` with the parameters added to its query (for `method: 'GET'`). */
function withQuery(url: string, params: URLSearchParams): string {
  const target = new URL(url);
  for (const [name, value] of params) {
    target.searchParams.append(name, value);
  }
  return target.href;
}
