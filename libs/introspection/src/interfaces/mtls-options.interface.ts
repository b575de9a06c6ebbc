/**
 * How a TLS-terminating proxy passes the client certificate on:
 * - `'escaped-pem'`: the URL-encoded PEM, as nginx's `$ssl_client_escaped_cert`;
 * - `'xfcc'`: Envoy's `x-forwarded-client-cert`, whose `Cert=` element holds it.
 */
export type CertificateHeaderFormat = 'escaped-pem' | 'xfcc';

/**
 * Certificate-bound access tokens (RFC 8705 §3): where the client
 * certificate comes from when TLS ends at a proxy. Without
 * `certificateHeader`, it comes from the TLS connection itself (an HTTPS
 * server with `requestCert`).
 *
 * @example mtls: { certificateHeader: 'x-ssl-client-cert', certificateHeaderFormat: 'escaped-pem' }
 */
export interface MtlsOptions {
  /**
   * Request header holding the client certificate, read only on requests
   * from a `trustProxy` address (ignored from any other peer).
   * Env: `INTROSPECTION_MTLS_CERTIFICATE_HEADER`.
   */
  certificateHeader?: string;

  /**
   * Format of `certificateHeader`.
   * Env: `INTROSPECTION_MTLS_CERTIFICATE_HEADER_FORMAT`.
   * @default 'escaped-pem'
   */
  certificateHeaderFormat?: CertificateHeaderFormat;
}

/** {@link MtlsOptions} after validation. */
export interface ResolvedMtlsOptions {
  /** Lower-cased header name; absent when the certificate comes from the TLS connection. */
  readonly certificateHeader?: string;
  readonly certificateHeaderFormat: CertificateHeaderFormat;
}
