import type {
  IntrospectionTelemetryOptions,
  ResolvedTelemetryOptions,
} from '../interfaces/telemetry-options.interface';
import { boolean, optionalObject } from './option-values';

const OPTION = 'telemetry';

/**
 * Checks the `telemetry` option group and applies its defaults.
 * @throws IntrospectionConfigurationError naming the setting, e.g. `telemetry.recordSubject`
 * @internal
 */
export function resolveTelemetryOptions(value: unknown): ResolvedTelemetryOptions {
  const group: IntrospectionTelemetryOptions = optionalObject(value, OPTION) ?? {};
  return { recordSubject: boolean(group.recordSubject, `${OPTION}.recordSubject`, false) };
}
