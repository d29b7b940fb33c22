import { describe, expect, it } from 'vitest';
import { ChunkBitmap } from '../../../src/backend/bitmap.js';
import { DecodeError, fromUtf8, Reader, readU64Key, u64Key, utf8, Writer } from '../../../src/backend/encoding.js';
import { bytesEqual, fromHex, toHex } from '../../../src/shared/bytes.js';
import { chunkKey, sessionKey } from '../../../src/backend/keys.js';
import { decodeAsset, encodeAsset } from '../../../src/backend/model/asset_record.js';
import { decodeBlob, encodeBlob } from '../../../src/backend/model/blob_record.js';
import { decodeGarbage, encodeGarbage } from '../../../src/backend/model/garbage_record.js';
import { decodeHashState, encodeHashState } from '../../../src/backend/model/hash_state_record.js';
import { decodeLimits, encodeLimits } from '../../../src/backend/model/limits.js';
import { decodeSession, encodeSession, type SessionRecord } from '../../../src/backend/model/session_record.js';

describe('keys', () => {
  it('session key = upload id as u64 big-endian ‖ 24 zero bytes', () => {
    expect(Buffer.from(sessionKey(0x0102030405060708n)).toString('hex')).toBe(`0102030405060708${'00'.repeat(24)}`);
    expect(sessionKey(0n)).toEqual(new Uint8Array(32));
  });

  it('differs per upload, and sorts by upload id', () => {
    const ids = [1n, 2n, 256n, 2n ** 40n, 2n ** 64n - 1n];
    const keys = ids.map((id) => Buffer.from(sessionKey(id)));
    expect(new Set(keys.map((k) => k.toString('hex'))).size).toBe(ids.length);
    expect([...keys].reverse().sort(Buffer.compare)).toEqual(keys);
  });

  it('chunk key = session key ‖ index as u32 big-endian, sorting by index', () => {
    const session = sessionKey(7n);
    const key = chunkKey(session, 0x01020304);
    expect(key.length).toBe(36);
    expect(Buffer.from(key.subarray(0, 32)).equals(Buffer.from(session))).toBe(true);
    expect(Array.from(key.subarray(32))).toEqual([1, 2, 3, 4]);
    const sorted = [300, 2, 256, 1].map((i) => Buffer.from(chunkKey(session, i))).sort(Buffer.compare);
    expect(sorted.map((k) => k.readUInt32BE(32))).toEqual([1, 2, 256, 300]);
  });

  it('u64 keys round-trip and sort numerically', () => {
    const values = [0n, 1n, 255n, 256n, 2n ** 64n - 1n];
    for (const v of values) expect(readU64Key(u64Key(v))).toBe(v);
    const sorted = [...values].reverse().map((v) => Buffer.from(u64Key(v))).sort(Buffer.compare);
    expect(sorted.map((k) => k.readBigUInt64BE(0))).toEqual(values);
  });
});

describe('bitmap', () => {
  it('tracks set bits, counts, missing and the first gap', () => {
    const bitmap = ChunkBitmap.empty(20);
    expect(bitmap.set(3)).toBe(true);
    expect(bitmap.set(3)).toBe(false);
    for (const i of [0, 1, 2, 9, 19]) bitmap.set(i);
    expect(bitmap.count()).toBe(6);
    expect(bitmap.indexes()).toEqual([0, 1, 2, 3, 9, 19]);
    expect(bitmap.missing(3)).toEqual([4, 5, 6]);
    expect(bitmap.firstMissingFrom(0)).toBe(4);
    expect(bitmap.firstMissingFrom(9)).toBe(10);
    expect(bitmap.has(20)).toBe(false);
    expect(() => bitmap.set(20)).toThrow(RangeError);
    expect(() => ChunkBitmap.fromBytes(new Uint8Array(2), 20)).toThrow(RangeError);
  });
});

describe('encoding', () => {
  it('reader refuses truncated input and trailing bytes', () => {
    const bytes = new Writer().u32(5).text('héllo').finish();
    const reader = new Reader(bytes);
    expect(reader.u32()).toBe(5);
    expect(reader.text()).toBe('héllo');
    reader.end();
    expect(() => new Reader(bytes.subarray(0, 6)).u64()).toThrow(DecodeError);
    const extra = new Reader(Uint8Array.of(0, 0, 0, 1, 9));
    extra.u32();
    expect(() => extra.end()).toThrow(DecodeError);
  });

  it('bytesEqual compares aligned and unaligned views', () => {
    const a = pseudo(1003);
    const b = a.slice();
    expect(bytesEqual(a, b)).toBe(true);
    expect(bytesEqual(a.subarray(1), b.subarray(1))).toBe(true);
    b[1001] ^= 1;
    expect(bytesEqual(a, b)).toBe(false);
    b[1001] ^= 1;
    b[4] ^= 1;
    expect(bytesEqual(a, b)).toBe(false);
    expect(bytesEqual(a, a.subarray(1))).toBe(false);
    // number[] (some agents' `vec nat8`) against bytes.
    expect(bytesEqual(Array.from(a), b)).toBe(false);
    expect(bytesEqual(Array.from(a), a)).toBe(true);
  });

  it('toHex and fromHex: two lowercase digits a byte, from views and number[]; odd or non-hex text refused', () => {
    const bytes = Uint8Array.of(0x00, 0x0f, 0xa5, 0xff, 0x10);
    expect(toHex(bytes)).toBe('000fa5ff10');
    expect(toHex(bytes.subarray(2, 4))).toBe('a5ff');
    expect(toHex([1, 254])).toBe('01fe');
    expect(fromHex('000fa5ff10')).toEqual(bytes);
    expect(fromHex(toHex(pseudo(300)))).toEqual(pseudo(300));
    expect(() => fromHex('abc')).toThrow();
    expect(() => fromHex('zz')).toThrow();
  });

  it('utf8 and fromUtf8 agree with a fatal TextEncoder/TextDecoder: ASCII, the rest, a BOM, long text; invalid UTF-8 throws', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const long = 'abcdefghij'.repeat(1_000); // past the 4,096 code units decoded at a time
    for (const text of ['', 'a', 'photo.jpg', 'image/png; charset=x', '\u007f\u0000', 'é', 'a😀b', '\ufeffbom', long, `${long}é`]) {
      const bytes = new TextEncoder().encode(text);
      expect(utf8(text)).toEqual(bytes);
      expect(fromUtf8(bytes)).toBe(decoder.decode(bytes));
    }
    expect(fromUtf8(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61))).toBe('a');
    expect(fromUtf8(Uint8Array.of(0x61, 0x62).subarray(1))).toBe('b');
    expect(() => fromUtf8(Uint8Array.of(0x61, 0xff))).toThrow();
    expect(() => fromUtf8(Uint8Array.of(0xc3))).toThrow();
  });
});

function pseudo(n: number) {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
}

describe('record codecs', () => {
  it('round-trip a session with every optional field, and are versioned', () => {
    const received = ChunkBitmap.empty(10);
    received.set(0);
    received.set(7);
    const session: SessionRecord = {
      uploadId: 42n,
      owner: Uint8Array.of(1, 2, 3),
      sessionKey: sessionKey(42n),
      size: 9_999n,
      chunkSize: 1000,
      chunkCount: 10,
      received,
      receivedCount: 2,
      hashed: 1,
      hashedOffset: 64,
      createdAtNs: 1n,
      updatedAtNs: 2n,
      expiresAtNs: 3n,
      state: { kind: 'finished', blobId: 5n },
      meta: { assetId: 'a', variant: 'thumb', fileName: 'ü.jpg', contentType: 'image/jpeg', expectedSha256: new Uint8Array(32).fill(7), public: true, idempotencyKey: Uint8Array.of(9, 9) }
    };
    const bytes = encodeSession(session);
    expect(bytes.length).toBeLessThan(200);
    expect(decodeSession(bytes)).toEqual(session);
    const noDigest = {
      ...session,
      state: { kind: 'aborted' as const },
      meta: { ...session.meta, expectedSha256: undefined, public: undefined, idempotencyKey: undefined }
    };
    expect(decodeSession(encodeSession(noDigest))).toEqual(noDigest);
    // A V1 record (no visibility, no key) still decodes: its two trailing option flags removed.
    const v1 = encodeSession(noDigest).slice(0, -2);
    v1[0] = 1;
    expect(decodeSession(v1)).toEqual(noDigest);
    const future = bytes.slice();
    future[0] = 3;
    expect(() => decodeSession(future)).toThrow(/version 3/);
  });

  it('round-trip blobs, assets, limits and hash states', () => {
    const blob = {
      blobId: 3n,
      owner: Uint8Array.of(4),
      assetId: 'x',
      variant: 'original',
      fileName: 'f',
      contentType: 'c',
      size: 10n,
      sha256: new Uint8Array(32).fill(1),
      chunkSize: 5,
      chunkCount: 2,
      sessionKey: new Uint8Array(32).fill(2),
      createdAtNs: 99n
    };
    expect(decodeBlob(encodeBlob(blob))).toEqual(blob);
    const asset = { assetId: 'x', owner: Uint8Array.of(4), variants: [['original', 3n], ['thumb', 4n]] as Array<[string, bigint]>, public: true };
    expect(decodeAsset(encodeAsset(asset))).toEqual(asset);
    const v1Asset = encodeAsset(asset).slice(0, -1);
    v1Asset[0] = 1;
    expect(decodeAsset(v1Asset)).toEqual({ ...asset, public: false });
    const limits = {
      maxChunkBytes: 1,
      maxUploadBytes: 2n,
      uploadIdleTimeoutS: 3n,
      maxOpenUploadsPerCaller: 4,
      maxOpenUploads: 5n,
      maxBytesPerCaller: 6n,
      maxAssetsPerCaller: undefined
    };
    expect(decodeLimits(encodeLimits(limits))).toEqual(limits);
    expect(decodeHashState(encodeHashState(77n, Uint8Array.of(1, 2)))).toEqual({ hashedBytes: 77n, state: Uint8Array.of(1, 2) });
  });
});

describe('garbage records', () => {
  it('round-trip with and without the stored-chunk bitmap; V1 records still decode', () => {
    const key = sessionKey(1n);
    const stored = ChunkBitmap.empty(20);
    for (const i of [3, 9, 19]) stored.set(i);
    const v2 = decodeGarbage(encodeGarbage({ sessionKey: key, nextIndex: 4, chunkCount: 20, stored }));
    expect(v2.stored?.indexes()).toEqual([3, 9, 19]);
    expect(v2).toMatchObject({ nextIndex: 4, chunkCount: 20 });
    const v1 = encodeGarbage({ sessionKey: key, nextIndex: 5, chunkCount: 7 });
    expect(v1[0]).toBe(1);
    expect(decodeGarbage(v1)).toEqual({ sessionKey: key, nextIndex: 5, chunkCount: 7 });
    expect(() => decodeGarbage(Uint8Array.of(3, ...v1.subarray(1)))).toThrow(DecodeError);
  });

  it('firstSetFrom skips empty bytes and stops at the size', () => {
    const bits = ChunkBitmap.empty(70);
    for (const i of [0, 17, 69]) bits.set(i);
    expect([0, 1, 18, 69].map((i) => bits.firstSetFrom(i))).toEqual([0, 17, 69, 69]);
    expect(ChunkBitmap.empty(70).firstSetFrom(0)).toBe(70);
  });
});
