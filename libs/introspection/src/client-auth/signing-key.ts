import { createPrivateKey, JsonWebKey, KeyObject, webcrypto } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { IntrospectionConfigurationError } from '../errors/introspection.errors';
import type {
  JsonWebKeyInput,
  JwtSigningAlgorithm,
  ResolvedJwtSigningProfile,
} from '../interfaces/introspection-options.interface';
import { loadJose } from '../keys/jose';
import { SIGNING_ALGORITHMS } from './signing-algorithms';

/**
 * A key imported once at boot, ready to sign client assertions.
 * @internal
 */
export interface SigningKey {
  readonly algorithm: JwtSigningAlgorithm;
  /** Non-extractable: the key material cannot be read back from it. */
  readonly key: webcrypto.CryptoKey;
  /** `kid` to send: the configured key id, else the JWK's own `kid`. */
  readonly keyId?: string;
}

/**
 * Imports `clientSecret` as the HMAC key of `client_secret_jwt`: its UTF-8
 * bytes, as OpenID Connect Core §9 and oidc-provider use them.
 *
 * Imported with WebCrypto rather than jose, whose `importJWK` hands back the
 * raw bytes of a symmetric key and imports them again for every signature.
 *
 * @throws IntrospectionConfigurationError when the secret is too short
 * @internal
 */
export async function importHmacSigningKey(
  secret: string,
  algorithm: JwtSigningAlgorithm,
  keyId: string | undefined,
): Promise<SigningKey> {
  const kind = SIGNING_ALGORITHMS[algorithm];
  if (kind.type !== 'hmac') {
    throw new TypeError(`${algorithm} is not an HMAC algorithm.`);
  }
  const bytes = Buffer.from(secret, 'utf8');
  // RFC 7518 §3.2: "A key of the same size as the hash output or larger MUST be used."
  if (bytes.length < kind.minSecretBytes) {
    throw new IntrospectionConfigurationError(
      'clientSecret',
      `is shorter than the ${kind.minSecretBytes} bytes ${algorithm} requires (RFC 7518 §3.2); use a longer client secret.`,
    );
  }
  const key = await webcrypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: kind.hash }, false, [
    'sign',
  ]);
  return { algorithm, key, keyId };
}

/**
 * Reads and imports the private key of `private_key_jwt` from
 * `jwtSigningProfile.key` or `jwtSigningProfile.keyFile`, and checks that it
 * can sign with `algorithm`. Error messages name the setting and describe
 * the key (type, size, curve), never its material.
 *
 * @throws IntrospectionConfigurationError for a missing, unreadable or unfit key
 * @internal
 */
export async function importPrivateSigningKey(
  profile: ResolvedJwtSigningProfile,
  algorithm: JwtSigningAlgorithm,
): Promise<SigningKey> {
  const { source, option } = await readKeySource(profile);
  const { keyObject, jwkKeyId } =
    typeof source === 'string'
      ? { keyObject: fromPem(source, option), jwkKeyId: undefined }
      : fromJwk(source, option, algorithm);
  checkKeyFitsAlgorithm(keyObject, algorithm, option);
  const { importJWK } = await loadJose(option);
  let key: webcrypto.CryptoKey;
  try {
    key = (await importJWK(keyObject.export({ format: 'jwk' }), algorithm)) as webcrypto.CryptoKey;
  } catch {
    throw new IntrospectionConfigurationError(option, `cannot be imported as a ${algorithm} signing key.`);
  }
  return { algorithm, key, keyId: profile.keyId ?? jwkKeyId };
}

async function readKeySource(
  profile: ResolvedJwtSigningProfile,
): Promise<{ source: string | JsonWebKeyInput; option: string }> {
  if (profile.key !== undefined) {
    return { source: profile.key, option: 'jwtSigningProfile.key' };
  }
  const option = 'jwtSigningProfile.keyFile';
  if (profile.keyFile === undefined) {
    throw new IntrospectionConfigurationError(
      'jwtSigningProfile.key',
      'is required for private_key_jwt: set jwtSigningProfile.key (a PEM or a JWK) or jwtSigningProfile.keyFile.',
    );
  }
  let text: string;
  try {
    text = (await readFile(profile.keyFile, 'utf8')).trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new IntrospectionConfigurationError(
      option,
      `cannot read "${profile.keyFile}"${code ? ` (${code})` : ''}.`,
    );
  }
  if (!text.startsWith('{')) {
    return { source: text, option };
  }
  try {
    return { source: JSON.parse(text) as JsonWebKeyInput, option };
  } catch {
    // The parser's message may quote the file's content: never pass it on.
    throw new IntrospectionConfigurationError(
      option,
      `"${profile.keyFile}" starts like a JWK but is not valid JSON.`,
    );
  }
}

// PEM labels of RFC 7468 §§10-11 and the legacy OpenSSL ones (PKCS #1, SEC 1).
const PRIVATE_PEM_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);
const PUBLIC_PEM_LABELS = new Set(['PUBLIC KEY', 'RSA PUBLIC KEY', 'CERTIFICATE']);

function fromPem(pem: string, option: string): KeyObject {
  const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1];
  if (label === undefined) {
    throw new IntrospectionConfigurationError(option, 'is neither a PEM private key nor a JWK.');
  }
  if (PUBLIC_PEM_LABELS.has(label)) {
    throw new IntrospectionConfigurationError(
      option,
      `is a public key (PEM "${label}"); private_key_jwt signs with the private key, the server holds the public one.`,
    );
  }
  if (label === 'ENCRYPTED PRIVATE KEY') {
    throw new IntrospectionConfigurationError(
      option,
      'is an encrypted private key; passphrases are not supported, provide the key unencrypted (e.g. from a secret store).',
    );
  }
  if (!PRIVATE_PEM_LABELS.has(label)) {
    throw new IntrospectionConfigurationError(
      option,
      `is a PEM "${label}", not a private key ("PRIVATE KEY", "RSA PRIVATE KEY" or "EC PRIVATE KEY").`,
    );
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // Node's message is about the parser, and the cause stays out of the
    // error so that nothing of the key can reach a log.
    throw new IntrospectionConfigurationError(option, `is a malformed PEM "${label}" and cannot be read.`);
  }
}

function fromJwk(
  jwk: JsonWebKeyInput,
  option: string,
  algorithm: JwtSigningAlgorithm,
): { keyObject: KeyObject; jwkKeyId?: string } {
  if (jwk.kty === 'oct') {
    throw new IntrospectionConfigurationError(
      option,
      'is a symmetric JWK ("kty": "oct"); for a shared secret use client_secret_jwt with clientSecret.',
    );
  }
  if (typeof jwk.d !== 'string') {
    throw new IntrospectionConfigurationError(
      option,
      'is a public JWK (it has no "d"); private_key_jwt signs with the private key, the server holds the public one.',
    );
  }
  // RFC 7517 §4: the key's own restrictions on its use.
  if (jwk.alg !== undefined && jwk.alg !== algorithm) {
    throw new IntrospectionConfigurationError(
      option,
      `is a JWK for "alg" ${JSON.stringify(jwk.alg)}, but jwtSigningProfile.signatureAlgorithm is ${algorithm}.`,
    );
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') {
    throw new IntrospectionConfigurationError(option, 'is a JWK whose "use" is not "sig".');
  }
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('sign')) {
    throw new IntrospectionConfigurationError(option, 'is a JWK whose "key_ops" do not include "sign".');
  }
  try {
    const keyObject = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
    return { keyObject, jwkKeyId: typeof jwk.kid === 'string' && jwk.kid ? jwk.kid : undefined };
  } catch {
    throw new IntrospectionConfigurationError(option, 'is a malformed or unsupported private JWK.');
  }
}

function checkKeyFitsAlgorithm(keyObject: KeyObject, algorithm: JwtSigningAlgorithm, option: string): void {
  const kind = SIGNING_ALGORITHMS[algorithm];
  const { asymmetricKeyType: type, asymmetricKeyDetails: details } = keyObject;
  const unfit = (reason: string) =>
    new IntrospectionConfigurationError(
      option,
      `is ${describeKey(keyObject)}, ${reason} (jwtSigningProfile.signatureAlgorithm ${algorithm}).`,
    );
  switch (kind.type) {
    case 'rsa':
      if (type === 'rsa-pss') {
        throw unfit('restricted to RSA-PSS parameters, which is not supported; use an unrestricted RSA key');
      }
      if (type !== 'rsa') {
        throw unfit(`but ${algorithm} needs an RSA key`);
      }
      // RFC 7518 §§3.3, 3.5: "A key of size 2048 bits or larger MUST be used."
      if ((details?.modulusLength ?? 0) < 2048) {
        throw unfit('too short: RSA keys need at least 2048 bits');
      }
      return;
    case 'ec':
      if (type !== 'ec' || details?.namedCurve !== kind.curve) {
        throw unfit(`but ${algorithm} needs an EC key on ${kind.jwkCurve}`);
      }
      return;
    case 'ed25519':
      if (type !== 'ed25519') {
        throw unfit('but EdDSA needs an Ed25519 key');
      }
      return;
    case 'hmac':
      throw unfit('but HMAC algorithms sign with clientSecret (client_secret_jwt)');
  }
}

const KEY_TYPE_NAMES: Readonly<Record<string, string>> = {
  ed25519: 'Ed25519',
  ed448: 'Ed448',
  x25519: 'X25519',
  x448: 'X448',
  dsa: 'DSA',
  dh: 'DH',
};

/** "an RSA key of 1024 bits", "an EC key on P-384", …: what a key is, never what it holds. */
function describeKey(keyObject: KeyObject): string {
  const { asymmetricKeyType: type, asymmetricKeyDetails: details } = keyObject;
  switch (type) {
    case 'rsa':
    case 'rsa-pss':
      return `an ${type === 'rsa' ? 'RSA' : 'RSA-PSS'} key of ${details?.modulusLength ?? '?'} bits`;
    case 'ec': {
      const curve = Object.values(SIGNING_ALGORITHMS).find(
        (kind) => kind.type === 'ec' && kind.curve === details?.namedCurve,
      );
      return `an EC key on ${curve?.type === 'ec' ? curve.jwkCurve : (details?.namedCurve ?? 'an unknown curve')}`;
    }
    default:
      return `a key of type ${KEY_TYPE_NAMES[type ?? ''] ?? type ?? 'unknown'}`;
  }
}
