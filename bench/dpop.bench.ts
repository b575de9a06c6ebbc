// Cost of a DPoP proof check (RFC 9449 §4.3) per request: proofs verified
// per second for each algorithm, through the same verification the guard
// runs (parse, signature, htm, htu, iat, ath, thumbprint, in-memory replay
// record), against a baseline measured in the same run: a bare signature
// check of the same proof with a key imported once. Prints rates and their
// ratio, never a pass/fail on wall-clock time. Run with `npm run bench`.
import { generateKeyPair, exportJWK, SignJWT, calculateJwkThumbprint, compactVerify, importJWK } from 'jose';
import { createHash, randomUUID } from 'node:crypto';
// Internal on purpose: the benchmark measures the verification itself, not the HTTP stack around it.
import { verifyDpopProof } from '@app/introspection/binding/dpop-proof.verifier';
import { DpopReplayCache } from '@app/introspection/binding/dpop-replay-cache';
import { resolveDpopOptions } from '@app/introspection/config/resolve-dpop-options';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 1000);
const PROOFS = 2000;
const HTU = 'https://api.example.com/me';
const TOKEN = 'bench-access-token';
const ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'] as const;

async function rate(work: (i: number) => Promise<unknown>): Promise<number> {
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < DURATION_MS) {
    await work(count++);
  }
  const perSecond = (count * 1000) / (performance.now() - start);
  return perSecond;
}

async function main(): Promise<void> {
  const options = resolveDpopOptions({});
  const ath = createHash('sha256').update(TOKEN).digest('base64url');
  process.stdout.write('DPoP proof verification (proofs per second, one core)\n');
  process.stdout.write('algorithm | full check | bare signature check | full ÷ bare\n');
  for (const alg of ALGORITHMS) {
    const { privateKey, publicKey } = await generateKeyPair(alg);
    const jwk = await exportJWK(publicKey);
    const jkt = await calculateJwkThumbprint(jwk, 'sha256');
    const nowMs = Date.now();
    // Distinct proofs (distinct jti), signed ahead of time: only verification is measured.
    const proofs = await Promise.all(
      Array.from({ length: PROOFS }, () =>
        new SignJWT({ jti: randomUUID(), htm: 'GET', htu: HTU, ath, iat: Math.floor(nowMs / 1000) })
          .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk })
          .sign(privateKey),
      ),
    );
    const key = await importJWK(jwk, alg);
    const bare = await rate((i) => compactVerify(proofs[i % PROOFS], key));
    // A fresh replay record per round of proofs, so no proof is refused as a replay.
    let replays = new DpopReplayCache({ now: () => nowMs }, undefined, 100);
    const full = await rate(async (i) => {
      if (i % PROOFS === 0) {
        replays = new DpopReplayCache({ now: () => nowMs }, undefined, 100);
      }
      await verifyDpopProof(
        {
          proof: proofs[i % PROOFS],
          count: 1,
          method: 'GET',
          htu: HTU,
          accessToken: TOKEN,
          nowMs,
          skewMs: 5000,
        },
        { options, replays },
        jkt,
      );
    });
    process.stdout.write(
      `${alg.padEnd(9)} | ${full.toFixed(0).padStart(10)} | ${bare.toFixed(0).padStart(20)} | ${(full / bare).toFixed(2)}\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
