// The whole stream's digest from the native method (src/backend/session/hashing.ts): the last
// chunk's call asks for it, finish uses it while it stands for the current midstate, and the
// JavaScript finish is the fallback (a restored midstate after an upgrade, a midstate moved on).
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { RollingHashes } from '../../../src/backend/session/hashing.js';
import type { Session } from '../../../src/backend/session/record.js';
import { ALICE, fakeAbsorb, newBackend } from './fakes.js';

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
const session = { uploadId: 5n, hashed: 0, hashedOffset: 0 } as Session<unknown>;

describe('the rolling hash’s final digest', () => {
  it('is the native answer while it stands for the midstate, and the JavaScript finish otherwise', async () => {
    const hashes = new RollingHashes();
    hashes.start(5n);
    const data = bytes(1000, 3);
    const from = hashes.midstate(session);
    const done = await fakeAbsorb(from, data, { final: true });
    if (done.kind !== 'ok') throw new Error('absorb failed');
    // A wrong digest handed in shows whether it is used: it is, for this midstate only.
    const marker = new Uint8Array(32).fill(0xab);
    expect(hashes.advance(5n, from, done.midstate, marker)).toBe(true);
    expect(hashes.digest(session)).toEqual(marker);
    const more = await fakeAbsorb(done.midstate, data);
    if (more.kind !== 'ok') throw new Error('absorb failed');
    expect(hashes.advance(5n, done.midstate, more.midstate)).toBe(true);
    const twice = new Uint8Array(2000);
    twice.set(data);
    twice.set(data, 1000);
    expect(hashes.digest(session)).toEqual(sha256(twice));
    hashes.drop(5n);
    hashes.start(5n);
    expect(hashes.digest(session)).toEqual(sha256(new Uint8Array(0)));
  });

  it('is asked for by the last chunk’s call only, and finish answers the file’s SHA-256', async () => {
    const { backend, platform } = newBackend();
    const data = bytes(2500, 9);
    const input = { asset_id: 'f', variant: 'original', file_name: 'f', content_type: 'application/octet-stream', size: 2500n, chunk_size: 1000, sha256: sha256(data) };
    const begun = platform.message(() => backend.uploads.begin(ALICE, input));
    if (!('Ok' in begun)) throw new Error('begin failed');
    const [calls, finals] = [fakeAbsorb.calls, fakeAbsorb.finalsAsked];
    for (let i = 0; i < 3; i++) {
      const put = await platform.messageAsync(() => backend.uploads.putChunk(ALICE, begun.Ok.uploadId, i, data.subarray(i * 1000, (i + 1) * 1000)));
      expect('Ok' in put).toBe(true);
      expect([fakeAbsorb.calls - calls, fakeAbsorb.finalsAsked - finals]).toEqual([i + 1, i === 2 ? 1 : 0]);
    }
    const finished = await platform.messageAsync(() => backend.uploads.finish(ALICE, begun.Ok.uploadId, undefined));
    if (!('Ok' in finished)) throw new Error('finish failed');
    expect(finished.Ok.sha256).toEqual(sha256(data));
  });
});
