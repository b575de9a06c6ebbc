import { Injectable } from '@nestjs/common';
import type { IntrospectionResult, IntrospectOptions } from '../interfaces/introspection-result.interface';
import { deepFreeze, plainCopy } from '../result/freeze-result';
import { parseIntrospectionClaims } from '../result/introspection-response.parser';

/**
 * What a test declares as the authorization server's answer for a token: the
 * JSON object of an RFC 7662 response (`active`, `scope`, `sub`, `aud`,
 * `exp`, any extension claim). When `active` is `true` and `token_type` is
 * absent, `token_type: 'Bearer'` is added, as real servers send it.
 *
 * @example { active: true, scope: 'read:payments', sub: 'alice' }
 */
export type TestingIntrospectionAnswer = { active: boolean } & Record<string, unknown>;

/**
 * Answers for tokens the test did not declare. Return `undefined` for the
 * default (inactive); throw an `IntrospectionUnavailableError` to simulate an
 * authorization server that cannot answer (the guard answers 503).
 */
export type TestingIntrospectionAnswerFunction = (
  token: string,
  options: IntrospectOptions,
) => TestingIntrospectionAnswer | undefined | Promise<TestingIntrospectionAnswer | undefined>;

/**
 * The introspector of `IntrospectionTestingModule`: answers from the tokens
 * and the function the test declared, through the same strict response
 * parser as production, and records every token it was asked about.
 */
@Injectable()
export class TestingIntrospectionService {
  private readonly tokens = new Map<string, TestingIntrospectionAnswer>();
  private readonly asked: string[] = [];

  constructor(
    tokens: Readonly<Record<string, TestingIntrospectionAnswer>> = {},
    private readonly answer?: TestingIntrospectionAnswerFunction,
  ) {
    for (const [token, claims] of Object.entries(tokens)) {
      this.tokens.set(token, claims);
    }
  }

  /**
   * Answers like `IntrospectionService.introspect`: the declared answer of
   * `token`, else the answer function's, else inactive.
   *
   * @throws IntrospectionResponseError when a declared answer is not a valid RFC 7662 response
   */
  async introspect(token: string, options: IntrospectOptions = {}): Promise<IntrospectionResult> {
    this.asked.push(token);
    const claims = this.tokens.get(token) ?? (await this.answer?.(token, options)) ?? { active: false };
    const withType =
      claims.active === true && claims.token_type === undefined
        ? { ...claims, token_type: 'Bearer' }
        : claims;
    // A copy: the declared answer stays the test's, unfrozen, and each call
    // gets a result of its own, frozen like the production service's.
    return deepFreeze(parseIntrospectionClaims(plainCopy(withType)));
  }

  /** Forgets nothing (there is no cache); present so code calling it runs unchanged. */
  invalidate(token: string): Promise<void> {
    void token;
    return Promise.resolve();
  }

  /**
   * Declares or replaces the answer for `token` while the test runs (for
   * example to revoke it: `setToken(token, { active: false })`).
   */
  setToken(token: string, answer: TestingIntrospectionAnswer): void {
    this.tokens.set(token, answer);
  }

  /** The tokens introspected so far, in order, one entry per introspection. */
  get introspectedTokens(): readonly string[] {
    return [...this.asked];
  }
}
