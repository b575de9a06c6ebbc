import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type { DpopOptions, ResolvedDpopOptions } from '../interfaces/dpop-options.interface';
import { boolean, duration } from './option-values';
import { ASYMMETRIC_JWS_ALGORITHMS } from '../keys/asymmetric-jws-algorithms';

/** RFC 9449 §5.1's advice, the algorithms most clients sign with. */
export const DEFAULT_DPOP_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'];
/** What a proof may be signed with. */
const DPOP_ALGORITHMS = new Set(ASYMMETRIC_JWS_ALGORITHMS);
const DEFAULT_PROOF_MAX_AGE = '60s';
const DEFAULT_NONCE_LIFETIME = '5m';
/** Past this, a proof is no fresher than a token: RFC 9449 §11.1 wants a short window. */
const MAX_PROOF_MAX_AGE_MS = 10 * 60_000;
const MODES = ['disabled', 'allowed', 'required'] as const;

/**
 * Validates the `dpop` group and applies its defaults.
 * @throws IntrospectionConfigurationError naming the option (`dpop.mode`, …)
 * @internal
 */
export function resolveDpopOptions(value: unknown): ResolvedDpopOptions {
  if (value !== undefined && value !== null && (typeof value !== 'object' || Array.isArray(value))) {
    throw new IntrospectionConfigurationError('dpop', "must be an object such as { mode: 'required' }.");
  }
  const dpop = (value ?? {}) as DpopOptions;
  const unknown = Object.keys(dpop).filter(
    (key) => !['mode', 'nonce', 'nonceLifetime', 'algorithms', 'proofMaxAge'].includes(key),
  );
  if (unknown.length > 0) {
    throw new IntrospectionConfigurationError(
      'dpop',
      `has unknown member(s) ${unknown.join(', ')}; use mode, nonce, nonceLifetime, algorithms and proofMaxAge.`,
    );
  }
  const mode = dpop.mode ?? 'allowed';
  if (!MODES.includes(mode)) {
    throw new IntrospectionConfigurationError('dpop.mode', 'must be "disabled", "allowed" or "required".');
  }
  const proofMaxAgeMs = duration(dpop.proofMaxAge ?? DEFAULT_PROOF_MAX_AGE, 'dpop.proofMaxAge');
  if (proofMaxAgeMs < 1000 || proofMaxAgeMs > MAX_PROOF_MAX_AGE_MS) {
    throw new IntrospectionConfigurationError(
      'dpop.proofMaxAge',
      'must be between 1s and 10m: a proof is meant to be fresh (RFC 9449 §11.1).',
    );
  }
  const nonceLifetimeMs = duration(dpop.nonceLifetime ?? DEFAULT_NONCE_LIFETIME, 'dpop.nonceLifetime');
  if (nonceLifetimeMs < 1000 || nonceLifetimeMs > 24 * 3_600_000) {
    throw new IntrospectionConfigurationError('dpop.nonceLifetime', 'must be between 1s and 24h.');
  }
  return {
    mode,
    nonce: boolean(dpop.nonce, 'dpop.nonce', false),
    nonceLifetimeMs,
    algorithms: dpopAlgorithms(dpop.algorithms),
    proofMaxAgeMs,
  };
}

function dpopAlgorithms(value: unknown): string[] {
  if (value === undefined || value === null) {
    return DEFAULT_DPOP_ALGORITHMS;
  }
  const values = Array.isArray(value) ? (value as unknown[]) : [value];
  if (values.length === 0 || !values.every((v): v is string => typeof v === 'string' && v.length > 0)) {
    throw new IntrospectionConfigurationError(
      'dpop.algorithms',
      'must be a non-empty list of JWS algorithm names.',
    );
  }
  for (const alg of values) {
    if (!DPOP_ALGORITHMS.has(alg)) {
      throw new IntrospectionConfigurationError(
        'dpop.algorithms',
        alg.toLowerCase() === 'none' || /^HS\d+$/i.test(alg)
          ? `"${alg}" is not allowed: a proof must be signed with an asymmetric key (RFC 9449 §4.2).`
          : `"${alg}" is not a known asymmetric JWS algorithm; use one of ${[...DPOP_ALGORITHMS].join(', ')}.`,
      );
    }
  }
  return values;
}
