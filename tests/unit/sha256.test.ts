// The canister's own SHA-256 checked against @noble/hashes in Node.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SHA256_STATE_FIXED_BYTES,
  SHA256_STATE_VERSION,
  Sha256,
  sha256
} from '../../src/backend/hash/sha256.js';

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
function bytesOf(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('sha256 one-shot', () => {
  it('matches the FIPS 180-4 examples', () => {
    const enc = new TextEncoder();
    expect(hex(sha256(new Uint8Array(0)))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    );
    expect(hex(sha256(enc.encode('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    );
    expect(hex(sha256(enc.encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'
    );
  });

  it('matches @noble/hashes for every length 0..200', () => {
    for (let n = 0; n <= 200; n++) {
      const data = bytesOf(n, n + 7);
      expect(hex(sha256(data)), `length ${n}`).toBe(hex(nobleSha256(data)));
    }
  });

  it.each([55, 56, 63, 64, 65, 119, 120, 127, 128, 1000, 4095, 4096, 4097])(
    'matches @noble/hashes at padding boundary length %i',
    (n) => {
      for (const fillByte of [0x00, 0xff, 0x80]) {
        const data = new Uint8Array(n).fill(fillByte);
        expect(hex(sha256(data))).toBe(hex(nobleSha256(data)));
      }
      const data = bytesOf(n, 99);
      expect(hex(sha256(data))).toBe(hex(nobleSha256(data)));
    }
  );

  it('matches @noble/hashes on 1 MiB', () => {
    const data = bytesOf(1 << 20, 12345);
    expect(hex(sha256(data))).toBe(hex(nobleSha256(data)));
  });

  it('hashes a subarray view at an odd offset of a larger buffer', () => {
    const big = bytesOf(5000, 3);
    const view = big.subarray(3, 3 + 4001);
    expect(hex(sha256(view))).toBe(hex(nobleSha256(view.slice())));
  });
});

describe('Sha256 streaming', () => {
  it('gives the one-shot digest for random splits of random inputs', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 2000 }),
        fc.array(fc.nat({ max: 2000 }), { maxLength: 40 }),
        (data, cuts) => {
          const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
          const h = new Sha256();
          let prev = 0;
          for (const p of [...points, data.length]) {
            h.update(data.subarray(prev, p));
            prev = p;
          }
          expect(h.length).toBe(data.length);
          expect(hex(h.digest())).toBe(hex(nobleSha256(data)));
        }
      ),
      { numRuns: 300 }
    );
  });

  it('handles many one-byte updates', () => {
    const data = bytesOf(300, 5);
    const h = new Sha256();
    for (let i = 0; i < data.length; i++) h.update(data.subarray(i, i + 1));
    expect(hex(h.digest())).toBe(hex(nobleSha256(data)));
  });

  it('refuses update and digest after digest', () => {
    const h = new Sha256();
    h.update(new Uint8Array([1, 2, 3]));
    h.digest();
    expect(() => h.update(new Uint8Array([4]))).toThrow(Error);
    expect(() => h.digest()).toThrow(/already/);
  });
});

describe('Sha256 midstate', () => {
  it('continues to the right digest after export/import at random split points', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 1500 }),
        fc.nat(),
        fc.nat(),
        (data, c1, c2) => {
          const [p, q] = [c1 % (data.length + 1), c2 % (data.length + 1)].sort((a, b) => a - b);
          const h = new Sha256();
          h.update(data.subarray(0, p));
          const state1 = h.exportState();
          expect(state1.length).toBe(SHA256_STATE_FIXED_BYTES + (p % 64));
          expect(state1[0]).toBe(SHA256_STATE_VERSION);
          const h2 = Sha256.importState(state1.slice());
          expect(h2.length).toBe(p);
          h2.update(data.subarray(p, q));
          const h3 = Sha256.importState(h2.exportState());
          h3.update(data.subarray(q));
          expect(hex(h3.digest())).toBe(hex(nobleSha256(data)));
          // The exporting state is unaffected by the export and can go on too.
          h.update(data.subarray(p));
          expect(hex(h.digest())).toBe(hex(nobleSha256(data)));
        }
      ),
      { numRuns: 300 }
    );
  });

  it('exports a fresh state as 41 bytes: version, the initial words, zero length', () => {
    expect(hex(new Sha256().exportState())).toBe(
      '01' +
        '6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19' +
        '0000000000000000'
    );
  });

  it('encodes lengths beyond 2^32 bytes in the 64-bit length field', () => {
    const s = new Sha256().exportState();
    s.set([0, 0, 0, 1, 0, 0, 0, 64], 33); // 2^32 + 64 bytes: no pending bytes
    const h = Sha256.importState(s);
    expect(h.length).toBe(2 ** 32 + 64);
    expect(hex(h.exportState())).toBe(hex(s));
  });

  describe('importState rejects malformed state', () => {
    const good = (() => {
      const h = new Sha256();
      h.update(bytesOf(70, 1)); // 6 pending bytes
      return h.exportState();
    })();

    it('accepts the well-formed state it is derived from', () => {
      expect(Sha256.importState(good).length).toBe(70);
    });
    it('empty input', () => {
      expect(() => Sha256.importState(new Uint8Array(0))).toThrow(/at least 41/);
    });
    it('too short for the fixed part', () => {
      expect(() => Sha256.importState(good.subarray(0, 40))).toThrow(/at least 41/);
    });
    it('pending bytes missing', () => {
      expect(() => Sha256.importState(good.subarray(0, good.length - 1))).toThrow(/implies 47/);
    });
    it('extra trailing bytes', () => {
      const longer = new Uint8Array(good.length + 1);
      longer.set(good);
      expect(() => Sha256.importState(longer)).toThrow(/implies 47/);
    });
    it('wrong version byte', () => {
      for (const v of [0, 2, 255]) {
        const bad = good.slice();
        bad[0] = v;
        expect(() => Sha256.importState(bad)).toThrow(new RegExp(`unsupported state version ${v}`));
      }
    });
    it('length beyond 2^53', () => {
      const bad = good.slice();
      bad.set([0xff, 0xff, 0xff, 0xff], 33);
      expect(() => Sha256.importState(bad)).toThrow(/too large/);
    });
    it('not a Uint8Array', () => {
      expect(() => Sha256.importState([1, 2, 3] as unknown as Uint8Array)).toThrow(Error);
    });
  });
});
