import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type { MtlsOptions, ResolvedMtlsOptions } from '../interfaces/mtls-options.interface';
import { optionalString } from './option-values';

const FORMATS = ['escaped-pem', 'xfcc'] as const;
// RFC 9110 §5.1: a header name is a token.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Validates the `mtls` group and applies its defaults.
 * @param trustProxy the resolved `trustProxy`: a header needs a proxy to trust
 * @throws IntrospectionConfigurationError naming the option (`mtls.certificateHeader`, …)
 * @internal
 */
export function resolveMtlsOptions(value: unknown, trustProxy: readonly string[]): ResolvedMtlsOptions {
  if (value !== undefined && value !== null && (typeof value !== 'object' || Array.isArray(value))) {
    throw new IntrospectionConfigurationError(
      'mtls',
      "must be an object such as { certificateHeader: 'x-ssl-client-cert' }.",
    );
  }
  const mtls = (value ?? {}) as MtlsOptions;
  const certificateHeader = optionalString(mtls.certificateHeader, 'mtls.certificateHeader')?.toLowerCase();
  if (certificateHeader !== undefined && !HEADER_NAME.test(certificateHeader)) {
    throw new IntrospectionConfigurationError('mtls.certificateHeader', 'is not a valid header name.');
  }
  if (certificateHeader !== undefined && trustProxy.length === 0) {
    throw new IntrospectionConfigurationError(
      'mtls.certificateHeader',
      'needs trustProxy: the header is read only from the proxies named there (e.g. "loopback" or "10.0.0.0/8").',
    );
  }
  const format = mtls.certificateHeaderFormat ?? 'escaped-pem';
  if (!FORMATS.includes(format)) {
    throw new IntrospectionConfigurationError(
      'mtls.certificateHeaderFormat',
      'must be "escaped-pem" (nginx $ssl_client_escaped_cert) or "xfcc" (Envoy x-forwarded-client-cert).',
    );
  }
  return { certificateHeader, certificateHeaderFormat: format };
}
