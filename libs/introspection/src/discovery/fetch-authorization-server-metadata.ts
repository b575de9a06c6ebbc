import { assertHttps } from '../config/option-values';
import {
  IntrospectionConfigurationError,
  IntrospectionUnavailableError,
} from '../errors/introspection.errors';
import type { AuthorizationServerMetadata } from './authorization-server-metadata.interface';
import { shownUrl } from '../config/option-values';

/** How to fetch the metadata document. */
export interface MetadataFetchOptions {
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  /** Accept plain-http endpoints on other machines (the `allowInsecureHttp` option). */
  readonly allowInsecureHttp: boolean;
}

/**
 * The well-known metadata URLs of `issuer`, in the order they are tried:
 * RFC 8414 §3.1 inserts the well-known segment before the issuer's path;
 * OpenID Connect Discovery 1.0 §4 appends it.
 */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ];
}

/**
 * Fetches and validates the metadata of `issuer` (RFC 8414): the OAuth
 * document first, the OpenID Connect one when the first is not found.
 *
 * @throws IntrospectionUnavailableError when the server cannot be reached or answers 5xx/429
 * @throws IntrospectionConfigurationError when it answers with a wrong document
 */
export async function fetchAuthorizationServerMetadata(
  issuer: string,
  options: MetadataFetchOptions,
): Promise<AuthorizationServerMetadata> {
  const [oauth, openid] = metadataUrls(issuer);
  const first = await fetchDocument(oauth, options);
  const document = first.status === 200 ? first : await fetchDocument(openid, options);
  if (document.status !== 200) {
    throw new IntrospectionConfigurationError(
      'issuer',
      `no authorization server metadata at ${shownUrl(oauth)} (HTTP ${first.status}) nor at ${shownUrl(openid)} (HTTP ${document.status}); check the issuer, or set endpoint instead.`,
    );
  }
  return validateMetadata(document.body, issuer, document.url, options.allowInsecureHttp);
}

interface FetchedDocument {
  readonly url: string;
  readonly status: number;
  readonly body: string;
}

async function fetchDocument(
  url: string,
  { timeoutMs, maxResponseBytes }: MetadataFetchOptions,
): Promise<FetchedDocument> {
  let response: Response;
  let body: string | undefined;
  try {
    response = await fetch(url, {
      headers: { Accept: 'application/json' },
      // A redirect could lead anywhere; the issuer names the document's place.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = await readAtMost(response, maxResponseBytes);
  } catch (error) {
    const reason =
      error instanceof Error && error.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : 'unreachable';
    throw new IntrospectionUnavailableError(`Discovery failed: ${shownUrl(url)} is ${reason}.`);
  }
  if (response.status === 429 || response.status >= 500) {
    throw new IntrospectionUnavailableError(
      `Discovery failed: ${shownUrl(url)} answered HTTP ${response.status}.`,
    );
  }
  if (body === undefined) {
    throw new IntrospectionConfigurationError(
      'issuer',
      `the metadata at ${shownUrl(url)} exceeds ${maxResponseBytes} bytes (maxResponseBytes).`,
    );
  }
  return { url, status: response.status, body };
}

/** The body as text, or `undefined` as soon as it exceeds `max` bytes (the rest is not read). */
async function readAtMost(response: Response, max: number): Promise<string | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader() as ReadableStreamDefaultReader<Uint8Array> | undefined;
  for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read()) {
    const bytes: Uint8Array = chunk.value;
    size += bytes.byteLength;
    if (size > max) {
      await reader?.cancel();
      return undefined;
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Validates a metadata document of `issuer`.
 * @throws IntrospectionConfigurationError naming what is wrong
 */
export function validateMetadata(
  body: string,
  issuer: string,
  url: string,
  allowInsecureHttp = false,
): AuthorizationServerMetadata {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw wrongDocument(url, 'it is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw wrongDocument(url, 'it is not a JSON object');
  }
  const document = value as Record<string, unknown>;
  // RFC 8414 §3.3: the issuer must be identical, or the metadata is not used.
  if (document.issuer !== issuer) {
    throw new IntrospectionConfigurationError(
      'issuer',
      `the metadata at ${shownUrl(url)} names the issuer ${JSON.stringify(document.issuer)}, not "${issuer}"; they must be identical (RFC 8414 §3.3).`,
    );
  }
  const endpoint = (member: string) => {
    const href = urlMember(document, member, url);
    if (href !== undefined) {
      assertHttps(
        href,
        'issuer',
        allowInsecureHttp,
        `the metadata at ${shownUrl(url)} gives "${member}" ${shownUrl(href)}, which`,
      );
    }
    return href;
  };
  return {
    issuer,
    introspectionEndpoint: endpoint('introspection_endpoint'),
    jwksUri: endpoint('jwks_uri'),
    tokenEndpoint: endpoint('token_endpoint'),
    introspectionEndpointAuthMethods: strings(document, 'introspection_endpoint_auth_methods_supported', url),
    introspectionSigningAlgorithms: strings(document, 'introspection_signing_alg_values_supported', url),
  };
}

function urlMember(document: Record<string, unknown>, member: string, url: string): string | undefined {
  const value = document[member];
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string' || !/^https?:\/\//.test(value) || !URL.canParse(value)) {
    throw wrongDocument(url, `"${member}" is not an http(s) URL`);
  }
  return value;
}

function strings(document: Record<string, unknown>, member: string, url: string): string[] | undefined {
  const value = document[member];
  if (value === undefined) {
    return undefined;
  }
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string')) {
    throw wrongDocument(url, `"${member}" is not an array of strings`);
  }
  return value;
}

function wrongDocument(url: string, detail: string): IntrospectionConfigurationError {
  return new IntrospectionConfigurationError(
    'issuer',
    `the metadata at ${shownUrl(url)} is not valid: ${detail}.`,
  );
}
