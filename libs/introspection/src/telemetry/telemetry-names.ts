/**
 * Names of the module's OpenTelemetry instruments, spans, events and
 * attributes (documented in docs/observability.md). Attribute values are
 * low-cardinality words, never a token, hash, secret, assertion nor claim.
 * @internal
 */
export const TELEMETRY = {
  /** Instrumentation scope of the tracer and the meter. */
  scope: 'nestjs-introspection',
  span: 'introspection',
  retryEvent: 'introspection.retry',
  decisionEvent: 'introspection.decision',
  metrics: {
    duration: 'introspection.client.duration',
    retries: 'introspection.client.retries',
    cacheLookups: 'introspection.cache.lookups',
    singleFlightJoins: 'introspection.cache.single_flight.joins',
    storeBypassed: 'introspection.cache.store.bypassed',
    breakerState: 'introspection.circuit_breaker.state',
    decisions: 'introspection.decisions',
  },
  attributes: {
    outcome: 'introspection.outcome',
    attempts: 'introspection.attempts',
    attempt: 'introspection.attempt',
    retryDelay: 'introspection.retry.delay',
    cache: 'introspection.cache',
    registration: 'introspection.registration',
    decision: 'introspection.decision',
    errorCode: 'introspection.error_code',
    serverAddress: 'server.address',
    serverPort: 'server.port',
    method: 'http.request.method',
    statusCode: 'http.response.status_code',
    errorType: 'error.type',
    subject: 'enduser.id',
  },
} as const;

/** Value of `introspection.circuit_breaker.state` per breaker state. */
export const BREAKER_STATE_VALUES = { closed: 0, half_open: 1, open: 2 } as const;

/** Bucket boundaries of `introspection.client.duration`, in seconds (those of `http.client.request.duration`). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
