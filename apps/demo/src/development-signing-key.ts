import { createPrivateKey, createPublicKey, generateKeyPairSync, JsonWebKey, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The demo's private_key_jwt key: env for the app, the public JWK for the embedded server. */
export interface DevelopmentSigningKey {
  /** INTROSPECTION_SIGNING_* variables that make the app sign with the key. */
  readonly env: Record<string, string>;
  /** The public key, to register with the embedded server's private_key_jwt client. */
  readonly publicJwk: Record<string, unknown>;
}

const DEFAULT_ALGORITHM = 'ES256';
const DEFAULT_KEY_ID = 'demo-development-key';

/**
 * The key the demo's API signs client assertions with when it runs against
 * its embedded authorization server: the one configured in
 * INTROSPECTION_SIGNING_KEY(_FILE) if any, else a key pair generated now, for
 * INTROSPECTION_SIGNING_ALGORITHM (default ES256). Development only: the
 * generated private key lives in this process and is never written anywhere.
 */
export function developmentSigningKey(env: NodeJS.ProcessEnv = process.env): DevelopmentSigningKey {
  const algorithm = env.INTROSPECTION_SIGNING_ALGORITHM ?? DEFAULT_ALGORITHM;
  const keyId = env.INTROSPECTION_SIGNING_KEY_ID ?? DEFAULT_KEY_ID;
  const configured = configuredKey(env);
  const privateKey = configured ?? generateKey(algorithm);
  return {
    env: {
      INTROSPECTION_SIGNING_ALGORITHM: algorithm,
      INTROSPECTION_SIGNING_KEY_ID: keyId,
      ...(configured ? {} : { INTROSPECTION_SIGNING_KEY: pkcs8(privateKey) }),
    },
    publicJwk: { ...createPublicKey(privateKey).export({ format: 'jwk' }), kid: keyId, use: 'sig' },
  };
}

function configuredKey(env: NodeJS.ProcessEnv): KeyObject | undefined {
  const text = env.INTROSPECTION_SIGNING_KEY ?? readKeyFile(env.INTROSPECTION_SIGNING_KEY_FILE);
  if (!text?.trim()) {
    return undefined;
  }
  const key = text.trim();
  return key.startsWith('{')
    ? createPrivateKey({ key: JSON.parse(key) as JsonWebKey, format: 'jwk' })
    : createPrivateKey(key.replaceAll('\\n', '\n'));
}

function readKeyFile(path: string | undefined): string | undefined {
  return path ? readFileSync(path, 'utf8') : undefined;
}

function generateKey(algorithm: string): KeyObject {
  if (/^(RS|PS)(256|384|512)$/.test(algorithm)) {
    return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  }
  if (algorithm === 'EdDSA') {
    return generateKeyPairSync('ed25519').privateKey;
  }
  // ES256, and any other value: the library refuses what it cannot use, at boot.
  const namedCurve = ({ ES384: 'P-384', ES512: 'P-521' } as Record<string, string>)[algorithm] ?? 'P-256';
  return generateKeyPairSync('ec', { namedCurve }).privateKey;
}

function pkcs8(privateKey: KeyObject): string {
  return privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
}
