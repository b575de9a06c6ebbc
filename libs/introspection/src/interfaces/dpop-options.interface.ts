import type { Duration } from './introspection-options.interface';

/**
 * How a registration treats DPoP (RFC 9449):
 * - `'disabled'`: only `Bearer` tokens; a DPoP-bound token (`cnf.jkt`) is refused.
 * - `'allowed'`: `Bearer` tokens without `cnf` keep working; DPoP-bound
 *   tokens must come with the `DPoP` scheme and a valid proof.
 * - `'required'`: only DPoP-bound tokens with a valid proof.
 */
export type DpopMode = 'disabled' | 'allowed' | 'required';

/**
 * DPoP settings (RFC 9449): sender-constrained tokens bound to a key the
 * client proves it holds on every request.
 *
 * @example dpop: { mode: 'required', nonce: true }
 */
export interface DpopOptions {
  /**
   * Whether bearer tokens, DPoP-bound tokens or both are accepted; a route
   * may require DPoP with `@RequireActiveToken({ dpop: 'required' })`.
   * Env: `INTROSPECTION_DPOP`.
   * @default 'allowed'
   */
  mode?: DpopMode;

  /**
   * Server-provided nonces (RFC 9449 §8): a proof must carry the nonce this
   * API handed out (401 `use_dpop_nonce` with a `DPoP-Nonce` header
   * otherwise). Nonces rotate every `nonceLifetime`; the current and the
   * previous one are accepted. Derived from `cache.secret`, so instances
   * sharing it accept each other's nonces. Env: `INTROSPECTION_DPOP_NONCE`.
   * @default false
   */
  nonce?: boolean;

  /**
   * How long one nonce is handed out before the next one replaces it.
   * Env: `INTROSPECTION_DPOP_NONCE_LIFETIME`.
   * @default '5m'
   */
  nonceLifetime?: Duration;

  /**
   * JWS algorithms accepted for proofs; asymmetric only (`none` and HMAC are
   * refused at boot). Advertised in the `algs` of the `DPoP` challenge.
   * Env: `INTROSPECTION_DPOP_ALGORITHMS` (comma- or space-separated).
   * @default ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256']
   */
  algorithms?: string[];

  /**
   * Oldest `iat` accepted in a proof; a proof from the future is accepted
   * within `clockTolerance`. Seen `jti` values are remembered this long.
   * Env: `INTROSPECTION_DPOP_PROOF_MAX_AGE`.
   * @default '60s'
   */
  proofMaxAge?: Duration;
}

/** {@link DpopOptions} after validation, durations in milliseconds. */
export interface ResolvedDpopOptions {
  readonly mode: DpopMode;
  readonly nonce: boolean;
  readonly nonceLifetimeMs: number;
  readonly algorithms: readonly string[];
  readonly proofMaxAgeMs: number;
}
