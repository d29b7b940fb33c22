// The upload path hashing through the canister's native SHA-256 (self-calls, one in flight per
// upload): a 21 MB upload against node:crypto, each chunk's own digest as stored, many small
// uploads with chunks in random orders and interleavings (a property test), and an upgrade while
// uploads wait on hashing. Runs on the seeded test canister: ic_upload plus `chunk_digest`.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEEDED_WASM, seededPerFile } from '../support/seeded.js';
import { admin, beginUpload, chunksOf, encodeInitArgs, finishUpload, hex, NO_LIMITS, okOf, readBlob, testBytes } from '../support/upload.js';
import type { BlobInfo } from '../../candid/ic_upload.js';

const canister = seededPerFile();

const nodeSha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function expectChunkDigests(blob: BlobInfo, chunks: Uint8Array[]): Promise<void> {
  for (let index = 0; index < chunks.length; index++) {
    const stored = await canister.actor.chunk_digest(blob.blob_id, index);
    expect(stored.length, `chunk ${index} has a digest`).toBe(1);
    expect(hex(stored[0]!)).toBe(nodeSha256(chunks[index]));
  }
}

describe('native hashing on the upload path', () => {
  it('a 21 MB upload: the digest equals node:crypto, each chunk digest is stored, bytes read back', async () => {
    const chunkSize = 2_000_000;
    const data = testBytes(21_000_000, 91);
    const chunks = chunksOf(data, chunkSize);
    const { upload_id } = await beginUpload(canister.actor, { assetId: 'big', data, chunkSize, public: true });
    for (let index = 0; index < chunks.length; index++) {
      // In order, each chunk is the frontier: its put_chunk hashes it before answering.
      expect(okOf(await canister.actor.put_chunk({ upload_id, index, bytes: chunks[index] }))).toEqual({ received: index + 1, hashed: index + 1 });
    }
    const blob = await finishUpload(canister.pic, canister.actor, upload_id, []);
    expect(hex(blob.sha256)).toBe(nodeSha256(data));
    await expectChunkDigests(blob, chunks);
    expect(nodeSha256(await readBlob(canister.actor, blob))).toBe(nodeSha256(data));
  });

  it('many small uploads, chunks in random orders and interleavings, sent concurrently: every digest right', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ size: fc.integer({ min: 0, max: 3_000 }), chunkSize: fc.integer({ min: 300, max: 1_200 }) }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (specs, seed) => {
          run++;
          const uploads = await Promise.all(
            specs.map(async (spec, u) => {
              const data = testBytes(spec.size, seed + u);
              const begun = await beginUpload(canister.actor, { assetId: `p${run}-${u}`, data, chunkSize: spec.chunkSize, public: true });
              return { data, chunks: chunksOf(data, spec.chunkSize), uploadId: begun.upload_id };
            })
          );
          // Every (upload, chunk) pair, shuffled by the seed, sent in concurrent waves of three.
          const puts = uploads.flatMap((u) => u.chunks.map((_, index) => ({ u, index })));
          let x = seed;
          for (let i = puts.length - 1; i > 0; i--) {
            x = (x * 1103515245 + 12345) & 0x7fffffff;
            const j = x % (i + 1);
            [puts[i], puts[j]] = [puts[j], puts[i]];
          }
          for (let i = 0; i < puts.length; i += 3) {
            await Promise.all(
              puts.slice(i, i + 3).map(async ({ u, index }) => okOf(await canister.actor.put_chunk({ upload_id: u.uploadId, index, bytes: u.chunks[index] })))
            );
          }
          for (const u of uploads) {
            const blob = await finishUpload(canister.pic, canister.actor, u.uploadId, []);
            expect(hex(blob.sha256)).toBe(nodeSha256(u.data));
            if (u.chunks.length > 1) await expectChunkDigests(blob, u.chunks);
          }
        }
      ),
      { numRuns: 8 }
    );
  });

  it('an upgrade while uploads wait on hashing: they finish afterwards with the right digests', async () => {
    const chunkSize = 1_000_000;
    const uploads = await Promise.all(
      [0, 1].map(async (u) => {
        const data = testBytes(6 * chunkSize - 17 * u, 70 + u);
        // One finishes public (chunk digests at upload), one private (none: HTTP serving computes
        // them if it is ever made public).
        const begun = await beginUpload(canister.actor, { assetId: `upgrade-${u}`, data, chunkSize, public: u === 0 });
        return { data, chunks: chunksOf(data, chunkSize), uploadId: begun.upload_id };
      })
    );
    // Last to first: chunk 0 releases the other five, left to the hashing timer.
    for (const u of uploads) {
      for (let index = 5; index >= 0; index--) okOf(await canister.actor.put_chunk({ upload_id: u.uploadId, index, bytes: u.chunks[index] }));
    }
    const before = await Promise.all(uploads.map(async (u) => okOf(await canister.actor.upload_status(u.uploadId)).hashed));
    expect(Math.min(...before)).toBeLessThan(6);
    await canister.pic.upgradeCanister({ canisterId: canister.canisterId, wasm: SEEDED_WASM, arg: encodeInitArgs(NO_LIMITS), sender: admin.getPrincipal() });
    for (const [n, u] of uploads.entries()) {
      const status = okOf(await canister.actor.upload_status(u.uploadId));
      expect(status.state).toEqual({ Open: null });
      expect(status.hashed).toBeGreaterThanOrEqual(Math.min(before[n], 1));
      const blob = await finishUpload(canister.pic, canister.actor, u.uploadId, []);
      expect(hex(blob.sha256)).toBe(nodeSha256(u.data));
      if (n === 0) await expectChunkDigests(blob, u.chunks);
      else for (let index = 0; index < u.chunks.length; index++) expect(await canister.actor.chunk_digest(blob.blob_id, index)).toEqual([]);
    }
  });
});
