import { createPrivateKey, X509Certificate } from 'node:crypto';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../introspection.constants';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type {
  Duration,
  IntrospectionTlsOptions,
  ResolvedIntrospectionOptions,
} from '../interfaces/introspection-options.interface';
import type {
  IntrospectionTransportClient,
  IntrospectionTransportOptions,
} from '../interfaces/transport-options.interface';
import {
  boolean,
  duration,
  given,
  optionalObject,
  optionGroup,
  positiveInteger,
  wholeNumber,
} from './option-values';

const DEFAULT_TIMEOUT = '5s';
const DEFAULT_RETRIES = 1;
const DEFAULT_RETRY_BACKOFF = '100ms';
/** More retries than this would only pile load on a struggling server. */
const MAX_RETRIES = 5;
/** The longest delay setTimeout honours (2^31 - 1 ms); Node turns longer ones into 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The resolved settings of the `transport` group. */
export type ResolvedTransportSettings = Pick<
  ResolvedIntrospectionOptions,
  | 'timeoutMs'
  | 'retries'
  | 'retryBackoffMs'
  | 'maxResponseBytes'
  | 'allowInsecureHttp'
  | 'tls'
  | 'transportClient'
>;

const TRANSPORT_CLIENTS: readonly IntrospectionTransportClient[] = ['undici', 'axios'];

/**
 * Validates the `transport` group and applies its defaults.
 * @throws IntrospectionConfigurationError naming the first bad setting (`transport.timeout`, ...)
 * @internal
 */
export function resolveTransportOptions(value: unknown): ResolvedTransportSettings {
  const t = optionGroup(value, 'transport', "{ timeout: '5s', retries: 1 }") as IntrospectionTransportOptions;
  const timeoutMs = duration(given(t.timeout) ?? DEFAULT_TIMEOUT, 'transport.timeout');
  if (timeoutMs <= 0 || timeoutMs > MAX_TIMER_MS) {
    throw new IntrospectionConfigurationError(
      'transport.timeout',
      'must be a positive duration of at most 596h (what a timer can hold), e.g. "5s".',
    );
  }
  const retries = wholeNumber(t.retries, 'transport.retries', DEFAULT_RETRIES);
  if (retries > MAX_RETRIES) {
    throw new IntrospectionConfigurationError('transport.retries', `must be at most ${MAX_RETRIES}.`);
  }
  const retryBackoffMs = duration(
    given(t.retryBackoff as Duration) ?? DEFAULT_RETRY_BACKOFF,
    'transport.retryBackoff',
  );
  if (retryBackoffMs < 0 || retryBackoffMs > MAX_TIMER_MS) {
    throw new IntrospectionConfigurationError(
      'transport.retryBackoff',
      'must be a duration of at least 0, e.g. "100ms".',
    );
  }
  return {
    timeoutMs,
    retries,
    retryBackoffMs,
    maxResponseBytes: positiveInteger(
      t.maxResponseBytes,
      'transport.maxResponseBytes',
      DEFAULT_MAX_RESPONSE_BYTES,
    ),
    allowInsecureHttp: boolean(t.allowInsecureHttp, 'transport.allowInsecureHttp', false),
    tls: tlsOptions(t.tls),
    transportClient: transportClient(t.client),
  };
}

function transportClient(value: unknown): IntrospectionTransportClient {
  const client = given(value) ?? 'undici';
  if (!TRANSPORT_CLIENTS.includes(client as IntrospectionTransportClient)) {
    throw new IntrospectionConfigurationError(
      'transport.client',
      `must be ${TRANSPORT_CLIENTS.map((name) => `"${name}"`).join(' or ')} (the default is "undici").`,
    );
  }
  return client as IntrospectionTransportClient;
}

function tlsOptions(value: unknown): IntrospectionTlsOptions | undefined {
  const tls = optionalObject(value, 'transport.tls', 'must be an object with ca, cert, key and passphrase.');
  if (tls === undefined) {
    return undefined;
  }
  const pem = (item: unknown): boolean => typeof item === 'string' || Buffer.isBuffer(item);
  for (const member of Object.keys(tls)) {
    const item = tls[member];
    if (item === undefined) {
      continue;
    }
    const valid =
      member === 'ca'
        ? pem(item) || (Array.isArray(item) && item.every((entry) => pem(entry)))
        : member === 'cert' || member === 'key'
          ? pem(item)
          : member === 'passphrase'
            ? typeof item === 'string'
            : undefined;
    if (valid === undefined) {
      throw new IntrospectionConfigurationError(
        'transport.tls',
        `has an unknown member "${member}"; use ca, cert, key and passphrase.`,
      );
    }
    if (!valid) {
      // Never the value: it may be a key or passphrase.
      throw new IntrospectionConfigurationError(
        `transport.tls.${member}`,
        member === 'passphrase' ? 'must be a string.' : 'must be PEM text or a Buffer.',
      );
    }
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new IntrospectionConfigurationError(
      'transport.tls',
      'cert and key go together: set both for mutual TLS, or neither.',
    );
  }
  checkTlsMaterial(tls);
  return tls;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Parses the certificates and key at boot, so that a file path or garbage
 * fails here, naming the setting, instead of every request failing as
 * "could not be reached". Messages never quote the material.
 */
function checkTlsMaterial(tls: Record<string, unknown>): void {
  const text = (item: unknown): string => (Buffer.isBuffer(item) ? item.toString('utf8') : (item as string));
  const certificates = (member: 'ca' | 'cert', item: unknown): void => {
    const pem = text(item);
    const blocks = pem.match(PEM_CERTIFICATE) ?? [];
    if (blocks.length === 0) {
      throw new IntrospectionConfigurationError(
        `transport.tls.${member}`,
        looksLikePath(pem)
          ? 'looks like a file path; pass the PEM text itself (e.g. "$(cat ca.pem)" in a shell, or readFileSync()).'
          : 'holds no PEM certificate (-----BEGIN CERTIFICATE-----).',
      );
    }
    for (const block of blocks) {
      try {
        new X509Certificate(block);
      } catch {
        throw new IntrospectionConfigurationError(
          `transport.tls.${member}`,
          'holds a certificate that cannot be parsed.',
        );
      }
    }
  };
  if (tls.ca !== undefined) {
    for (const item of Array.isArray(tls.ca) ? (tls.ca as unknown[]) : [tls.ca]) {
      certificates('ca', item);
    }
  }
  if (tls.cert !== undefined) {
    certificates('cert', tls.cert);
  }
  if (tls.key !== undefined) {
    const pem = text(tls.key);
    try {
      createPrivateKey({ key: pem, format: 'pem', passphrase: tls.passphrase as string | undefined });
    } catch {
      throw new IntrospectionConfigurationError(
        'transport.tls.key',
        looksLikePath(pem)
          ? 'looks like a file path; pass the PEM text itself.'
          : 'is not a PEM private key that can be read (with transport.tls.passphrase, if it is encrypted).',
      );
    }
  }
}

function looksLikePath(value: string): boolean {
  return (
    !value.includes('-----BEGIN') &&
    /^(?:[A-Za-z]:)?[./~\\]?[\w./\\ -]+\.(?:pem|crt|cer|key)$/i.test(value.trim())
  );
}
