import { IntrospectionError } from '../errors/introspection.errors';

/** The error codes of RFC 8935 §2.4 this receiver answers with. */
export type SecurityEventErrorCode =
  'invalid_request' | 'invalid_key' | 'invalid_issuer' | 'invalid_audience' | 'authentication_failed';

/**
 * A pushed SET is refused: answered 400 with `{"err": code, "description"}`
 * (RFC 8935 §2.3). The description names the rule broken, never a claim's
 * value: no subject, no `jti`, nothing of the SET itself.
 * @internal
 */
export class SecurityEventError extends IntrospectionError {
  constructor(
    readonly code: SecurityEventErrorCode,
    readonly description: string,
    /** 413 for a body over the size cap, 401 for `authentication_failed`; 400 otherwise. */
    readonly status = 400,
    /** The `WWW-Authenticate` value of a 401. */
    readonly challenge?: string,
  ) {
    super(description);
  }
}
