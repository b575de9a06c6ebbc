import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type { IntrospectionBreakerOptions } from '../interfaces/breaker-options.interface';
import type { ResolvedIntrospectionOptions } from '../interfaces/introspection-options.interface';
import { duration, given, optionGroup, wholeNumber } from './option-values';
import { MAX_TIMER_MS } from './resolve-transport-options';

const DEFAULT_CIRCUIT_BREAKER_THRESHOLD = 5;
const DEFAULT_CIRCUIT_BREAKER_COOLDOWN = '10s';

/** The resolved settings of the `breaker` group. */
export type ResolvedBreakerSettings = Pick<
  ResolvedIntrospectionOptions,
  'circuitBreakerThreshold' | 'circuitBreakerCooldownMs'
>;

/**
 * Validates the `breaker` group and applies its defaults.
 * @throws IntrospectionConfigurationError naming the first bad setting (`breaker.threshold`, ...)
 * @internal
 */
export function resolveBreakerOptions(value: unknown): ResolvedBreakerSettings {
  const b = optionGroup(value, 'breaker', "{ threshold: 5, cooldown: '10s' }") as IntrospectionBreakerOptions;
  const circuitBreakerCooldownMs = duration(
    given(b.cooldown) ?? DEFAULT_CIRCUIT_BREAKER_COOLDOWN,
    'breaker.cooldown',
  );
  if (circuitBreakerCooldownMs <= 0 || circuitBreakerCooldownMs > MAX_TIMER_MS) {
    throw new IntrospectionConfigurationError('breaker.cooldown', 'must be a positive duration, e.g. "10s".');
  }
  return {
    circuitBreakerThreshold: wholeNumber(b.threshold, 'breaker.threshold', DEFAULT_CIRCUIT_BREAKER_THRESHOLD),
    circuitBreakerCooldownMs,
  };
}
