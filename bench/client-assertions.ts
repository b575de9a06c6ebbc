// Signing cost of JWT client assertions: assertions per second for each
// algorithm through the strategies, whose key is imported once at boot,
// against a baseline measured in the same run that imports the key with jose
// for every signature (importPKCS8, or the raw secret for HMAC) and signs the
// same claims. Run with `npm run bench`; never part of `npm test`.
import {
  ClientAuthRequest,
  ClientAuthStrategy,
  ClientSecretJwtStrategy,
  IntrospectionModuleOptions,
  JwtSigningAlgorithm,
  PrivateKeyJwtStrategy,
  resolveIntrospectionOptions,
} from '@app/introspection';
import { importPKCS8, SignJWT } from 'jose';
import { generateKeyPairSync, randomUUID } from 'node:crypto';

/** How long each measurement runs, and a cap on its iterations. */
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 1000);
const MAX_ITERATIONS = 200_000;

interface Case {
  readonly algorithm: JwtSigningAlgorithm;
  readonly options: IntrospectionModuleOptions;
  readonly strategy: () => ClientAuthStrategy;
  /** The key as configured: a PEM, or the client secret for HMAC. */
  readonly key: string;
}

const base = {
  endpoint: 'https://as.example.com/token/introspection',
  issuer: 'https://as.example.com',
  clientId: 'bench-api',
};

const pem = (type: 'rsa' | 'ec' | 'ed25519') => {
  const pair =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  return pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
};

const privateKeyJwt = (algorithm: JwtSigningAlgorithm, key: string): Case => ({
  algorithm,
  key,
  options: {
    ...base,
    endpointAuthMethod: 'private_key_jwt',
    jwtSigningProfile: { signatureAlgorithm: algorithm, key },
  },
  strategy: () => new PrivateKeyJwtStrategy(),
});

const CASES: Case[] = [
  {
    algorithm: 'HS256',
    key: 'b'.repeat(32),
    options: { ...base, endpointAuthMethod: 'client_secret_jwt', clientSecret: 'b'.repeat(32) },
    strategy: () => new ClientSecretJwtStrategy(),
  },
  privateKeyJwt('ES256', pem('ec')),
  privateKeyJwt('EdDSA', pem('ed25519')),
  privateKeyJwt('RS256', pem('rsa')),
];

/** The baseline: import the key, then sign, every time. */
async function signWithFreshKey({ algorithm, key }: Case): Promise<void> {
  const signingKey = algorithm.startsWith('HS')
    ? new TextEncoder().encode(key)
    : await importPKCS8(key, algorithm);
  const iat = Math.floor(Date.now() / 1000);
  await new SignJWT({
    iss: base.clientId,
    sub: base.clientId,
    aud: base.issuer,
    jti: randomUUID(),
    iat,
    exp: iat + 60,
  })
    .setProtectedHeader({ alg: algorithm, typ: 'client-authentication+jwt' })
    .sign(signingKey);
}

const newRequest = (): ClientAuthRequest => ({
  endpoint: base.endpoint,
  headers: {},
  body: new URLSearchParams(),
});

/** Runs `signOnce` for DURATION_MS (at most MAX_ITERATIONS times) and returns signatures per second. */
async function rate(signOnce: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 20; i++) {
    await signOnce(); // warm-up
  }
  let count = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(DURATION_MS) * 1_000_000n;
  while (count < MAX_ITERATIONS && process.hrtime.bigint() < deadline) {
    await signOnce();
    count++;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return count / seconds;
}

async function main(): Promise<void> {
  const rows: string[][] = [
    ['algorithm', 'strategy, key imported once (/s)', 'key imported per signature (/s)', 'ratio'],
  ];
  for (const benchCase of CASES) {
    const { algorithm, options, strategy } = benchCase;
    const resolved = resolveIntrospectionOptions(options);
    const cached = strategy();
    await cached.init?.(resolved);
    const withCachedKey = await rate(() => Promise.resolve(cached.authenticate(newRequest(), resolved)));
    const reimported = await rate(() => signWithFreshKey(benchCase));
    rows.push([
      algorithm,
      withCachedKey.toFixed(0),
      reimported.toFixed(0),
      `${(withCachedKey / reimported).toFixed(1)}x`,
    ]);
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: string[]) => row.map((cell, column) => cell.padStart(widths[column])).join('  ');
  process.stdout.write(
    [
      `JWT client assertions, ${DURATION_MS} ms per measurement, Node ${process.version}`,
      line(rows[0]),
      ...rows.slice(1).map(line),
    ].join('\n') + '\n',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
