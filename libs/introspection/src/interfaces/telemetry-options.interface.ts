/**
 * The `telemetry` options: what the module's OpenTelemetry spans and metrics
 * may carry. Spans and metrics are recorded only when the application
 * registers an OpenTelemetry SDK (and `@opentelemetry/api` is installed);
 * these settings never turn recording on by themselves.
 *
 * @example telemetry: { recordSubject: true }
 */
export interface IntrospectionTelemetryOptions {
  /**
   * Record the token's `sub` as `enduser.id` on the `introspection.decision`
   * span event of accepted requests. Off by default: a subject identifies a
   * person, and trace backends are rarely cleared for personal data. Never
   * on metrics. Env: `INTROSPECTION_TELEMETRY_RECORD_SUBJECT`.
   * @default false
   */
  recordSubject?: boolean;
}

/** The `telemetry` options with defaults applied. */
export interface ResolvedTelemetryOptions {
  readonly recordSubject: boolean;
}
