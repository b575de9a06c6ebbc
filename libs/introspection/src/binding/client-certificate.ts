import { createHash, X509Certificate } from 'node:crypto';
import type { ResolvedMtlsOptions } from '../interfaces/mtls-options.interface';
import type { TrustedProxies } from './trusted-proxies';

/**
 * The parts of the connection the guard reads: the peer address (for
 * `trustProxy`), whether it is TLS, and the client certificate
 * (`tls.TLSSocket`, RFC 8705).
 */
export interface PeerCertificateSocket {
  readonly remoteAddress?: string;
  readonly encrypted?: boolean;
  /** The peer's certificate; `raw` holds its DER bytes, absent without one. */
  getPeerCertificate?(detailed?: boolean): { raw?: Buffer } | null | undefined;
}

/** Where a request's client certificate may come from. */
export interface CertificateSource {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly socket?: PeerCertificateSocket;
}

/**
 * The DER bytes of the request's client certificate (RFC 8705 §3): from
 * `mtls.certificateHeader` when the peer is a trusted proxy, else from the
 * TLS connection. The header is ignored from any other peer, silently.
 * `undefined` when there is none (or the header cannot be read).
 * @internal
 */
export function clientCertificate(
  source: CertificateSource,
  mtls: ResolvedMtlsOptions,
  proxies: TrustedProxies,
): Buffer | undefined {
  if (mtls.certificateHeader !== undefined && proxies.contains(source.socket?.remoteAddress)) {
    const header = source.headers[mtls.certificateHeader];
    const value = Array.isArray(header) ? header[0] : header;
    // Behind the proxy, the connection is the proxy's: its own certificate never counts.
    return value ? certificateFromHeader(value, mtls.certificateHeaderFormat) : undefined;
  }
  const raw = source.socket?.getPeerCertificate?.(false)?.raw;
  return Buffer.isBuffer(raw) && raw.length > 0 ? raw : undefined;
}

/** base64url(SHA-256(DER)): the `x5t#S256` confirmation (RFC 8705 §3.1). */
export function certificateThumbprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('base64url');
}

function certificateFromHeader(
  value: string,
  format: ResolvedMtlsOptions['certificateHeaderFormat'],
): Buffer | undefined {
  const escaped = format === 'xfcc' ? xfccCertificate(value) : value;
  if (escaped === undefined) {
    return undefined;
  }
  try {
    return new X509Certificate(decodeURIComponent(escaped)).raw;
  } catch {
    return undefined;
  }
}

/**
 * The `Cert` of the last element of an `x-forwarded-client-cert` header:
 * the one the nearest (trusted) proxy added for its client. Elements are
 * comma-separated, key=value pairs semicolon-separated, values optionally
 * double-quoted (Envoy's documented syntax).
 */
export function xfccCertificate(value: string): string | undefined {
  const elements: Array<Map<string, string>> = [new Map<string, string>()];
  let key = '';
  let text = '';
  let inValue = false;
  let quoted = false;
  const flush = () => {
    if (key) {
      elements[elements.length - 1].set(key.trim().toLowerCase(), text);
    }
    key = '';
    text = '';
    inValue = false;
  };
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (quoted) {
      if (char === '\\' && i + 1 < value.length) {
        text += value[++i];
      } else if (char === '"') {
        quoted = false;
      } else {
        text += char;
      }
    } else if (char === '"' && inValue) {
      quoted = true;
    } else if (char === '=' && !inValue) {
      inValue = true;
    } else if (char === ';') {
      flush();
    } else if (char === ',') {
      flush();
      elements.push(new Map<string, string>());
    } else if (inValue) {
      text += char;
    } else {
      key += char;
    }
  }
  flush();
  return elements[elements.length - 1].get('cert') || undefined;
}
