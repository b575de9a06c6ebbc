import fc from 'fast-check';
import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { type RevocationMessage, RevocationMessageSeal } from './revocation-message';

const current = createSecretKey(randomBytes(32));
const previous = createSecretKey(randomBytes(32));
const CHANNEL = 'introspection:revocation:v1:@:messages';
const evict: RevocationMessage = { kind: 'evict', key: 'introspection:v2:abc' };
const cutoff: RevocationMessage = {
  kind: 'cutoff',
  filter: { sub: 'alice', clientId: 'web' },
  before: 1_700_000_000_000,
  keepUntil: 1_700_000_600_000,
};

describe('RevocationMessageSeal', () => {
  const seal = new RevocationMessageSeal([current, previous], CHANNEL);

  it.each([
    ['an eviction', evict],
    ['a cut-off', cutoff],
  ])('opens %s it sealed, with the instance id', (_case, message) => {
    expect(seal.open(seal.seal(message, 'instance-1'))).toEqual({ message, instance: 'instance-1' });
  });

  it('accepts a message sealed under a previous secret, and seals under the current one', () => {
    const old = new RevocationMessageSeal([previous], CHANNEL);
    expect(seal.open(old.seal(evict, 'i'))).toEqual({ message: evict, instance: 'i' });
    expect(old.open(seal.seal(evict, 'i'))).toBe('unauthenticated');
  });

  it('drops a message under another secret, of another channel, or altered', () => {
    const stranger = new RevocationMessageSeal([createSecretKey(randomBytes(32))], CHANNEL);
    expect(seal.open(stranger.seal(evict, 'i'))).toBe('unauthenticated');
    const otherRegistration = new RevocationMessageSeal(
      [current],
      'introspection:revocation:v1:other:messages',
    );
    expect(seal.open(otherRegistration.seal(evict, 'i'))).toBe('unauthenticated');
    const wire = JSON.parse(seal.seal(cutoff, 'i')) as { v: number; p: string; m: string };
    const altered = JSON.stringify({ ...wire, p: wire.p.replace('alice', 'mallory') });
    expect(seal.open(altered)).toBe('unauthenticated');
    expect(seal.open(JSON.stringify({ ...wire, m: wire.m.slice(2) }))).toBe('unauthenticated');
  });

  it.each([
    ['not JSON', 'hello'],
    ['JSON but no envelope', '[1,2]'],
    ['another version', JSON.stringify({ v: 2, p: '[]', m: '' })],
    ['too long', 'x'.repeat(20_000)],
  ])('drops a message that is %s as malformed', (_case, wire) => {
    expect(seal.open(wire)).toBe('malformed');
  });

  it('drops an authentic message whose payload it does not understand as malformed', () => {
    // Sealed by hand with the right secret: what a newer version might send.
    expect(seal.open(sealPayload(JSON.stringify(['evict', 'i', 'k'])))).toEqual({
      message: { kind: 'evict', key: 'k' },
      instance: 'i',
    });
    for (const payload of [
      ['evict', 'i', ''],
      ['evict', 'i', 42],
      ['cutoff', 'i', [null, null, null, null], 1, 2],
      ['cutoff', 'i', ['alice', null, null, null], 'soon', 2],
      ['unknown', 'i'],
    ]) {
      expect(seal.open(sealPayload(JSON.stringify(payload)))).toBe('malformed');
    }
  });
});

/** Seals a raw payload as `RevocationMessageSeal` does (its MAC recomputed by the spec). */
function sealPayload(payload: string): string {
  const mac = createHmac('sha256', current)
    .update('revocation')
    .update(JSON.stringify(CHANNEL))
    .update(payload)
    .digest('base64url');
  return JSON.stringify({ v: 1, p: payload, m: mac });
}

describe('RevocationMessageSeal, altered on the wire', () => {
  const seal = new RevocationMessageSeal([current], CHANNEL);

  it('opens a message with any character changed as the same message or not at all', () => {
    const wire = seal.seal(cutoff, 'instance-1');
    fc.assert(
      fc.property(fc.nat({ max: wire.length - 1 }), fc.string({ minLength: 1, maxLength: 1 }), (at, char) => {
        const altered = wire.slice(0, at) + char + wire.slice(at + 1);
        const opened = seal.open(altered);
        if (typeof opened !== 'string') {
          expect(opened).toEqual({ message: cutoff, instance: 'instance-1' });
        }
      }),
      { numRuns: 5_000 },
    );
  });
});
