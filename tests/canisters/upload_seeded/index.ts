// The ic_upload canister (the same module, src/backend/index.ts) plus one test-only method that
// builds large states fast: `seed` runs zero-byte uploads (begin + finish) through the real
// services, skipping only Candid and ingress, so each leaves what a real one leaves — a closed
// session record, a blob, an asset, and every index entry. Never deployed: tests only.
import type { IDL as ContractIDL } from '@icp-sdk/core/candid';
import { IDL, msgCaller, performanceCounter, query, update } from 'azle';

import { contractTypes, type HttpRequest } from '../../../candid/ic_upload.js';

import { backend, IcUploadCanister } from '../../../src/backend/index.js';
import { sha256 } from '../../../src/backend/hash/sha256.js';

const EMPTY_DIGEST = sha256(new Uint8Array(0));

const Probe = IDL.Record({
  begin: IDL.Nat64,
  put_chunk: IDL.Nat64,
  finish: IDL.Nat64,
  list_assets_page: IDL.Nat64,
  my_uploads: IDL.Nat64,
  stats: IDL.Nat64,
  delete_asset: IDL.Nat64
});

// Azle bundles its own @dfinity/candid; its IDL has the same classes as the contract expects.
const { HttpRequest: HttpRequestType } = contractTypes(IDL as unknown as typeof ContractIDL) as unknown as Record<'HttpRequest', IDL.Type>;

/** Instructions `run` used (performanceCounter(0) around it). */
function measure(run: () => unknown): bigint {
  const before = performanceCounter(0);
  run();
  return performanceCounter(0) - before;
}

export default class extends IcUploadCanister {
  /** `count` zero-byte uploads by the caller into assets `<prefix><n>`; answers how many finished. */
  @update([IDL.Text, IDL.Nat32, IDL.Nat32], IDL.Nat32)
  async seed(prefix: string, from: number, count: number): Promise<number> {
    const caller = msgCaller().toUint8Array();
    let finished = 0;
    for (let n = from; n < from + count; n++) {
      const begun = backend.begin(caller, {
        asset_id: `${prefix}${String(n).padStart(6, '0')}`,
        variant: 'original',
        file_name: 'seed',
        content_type: 'application/octet-stream',
        size: 0n,
        chunk_size: 1,
        sha256: EMPTY_DIGEST
      });
      if ('Err' in begun) continue;
      // Zero bytes: nothing to hash, so finish completes without a call.
      if ('Ok' in (await backend.finish(caller, begun.Ok.uploadId, undefined))) finished++;
    }
    return finished;
  }

  /** One asset with the given variants (zero-byte uploads), file name and content type. */
  @update([IDL.Text, IDL.Vec(IDL.Text), IDL.Text, IDL.Text], IDL.Nat32)
  async seed_asset(assetId: string, variants: string[], fileName: string, contentType: string): Promise<number> {
    const caller = msgCaller().toUint8Array();
    let finished = 0;
    for (const variant of variants) {
      const begun = backend.begin(caller, {
        asset_id: assetId,
        variant,
        file_name: fileName,
        content_type: contentType,
        size: 0n,
        chunk_size: 1,
        sha256: EMPTY_DIGEST
      });
      if ('Err' in begun) continue;
      // Zero bytes: nothing to hash, so finish completes without a call.
      if ('Ok' in (await backend.finish(caller, begun.Ok.uploadId, undefined))) finished++;
    }
    return finished;
  }

  /**
   * Instructions each service call uses inside one message, Candid aside: one small upload of
   * the caller's (begin, put_chunk, finish), a page of 10 assets, my_uploads, stats, and the
   * upload's deletion — so tests can compare them across stored sizes.
   */
  @update([IDL.Text], Probe)
  async probe(assetId: string) {
    const caller = msgCaller().toUint8Array();
    const bytes = Uint8Array.of(1, 2, 3);
    let uploadId = 0n;
    const begin = measure(() => {
      const begun = backend.begin(caller, {
        asset_id: assetId,
        variant: 'original',
        file_name: 'probe',
        content_type: 'application/octet-stream',
        size: 3n,
        chunk_size: 3,
        sha256: sha256(bytes)
      });
      if ('Err' in begun) throw new Error(`probe begin: ${JSON.stringify(begun.Err)}`);
      uploadId = begun.Ok.uploadId;
    });
    // put_chunk's own message: up to the native hashing call it makes (a message of its own).
    let put: Promise<unknown> = Promise.resolve();
    const putChunk = measure(() => (put = backend.putChunk(caller, uploadId, 0, bytes)));
    await put;
    return {
      begin,
      put_chunk: putChunk,
      finish: measure(() => backend.finish(caller, uploadId, undefined)),
      list_assets_page: measure(() => backend.listAssetsPage(caller, undefined, 10)),
      my_uploads: measure(() => backend.myUploads(caller)),
      stats: measure(() => backend.stats()),
      delete_asset: measure(() => backend.deleteAsset(caller, assetId))
    };
  }

  /** The instructions `http_request` spends answering `request` (Candid encoding of the reply aside). */
  @query([HttpRequestType], IDL.Nat64)
  http_request_instructions(request: HttpRequest): bigint {
    return measure(() => backend.httpRequest(request));
  }

  /** set_public, measured: with a change of visibility, one update of the certification tree. */
  @update([IDL.Text, IDL.Bool], IDL.Nat64)
  set_public_instructions(assetId: string, isPublic: boolean): bigint {
    const caller = msgCaller().toUint8Array();
    return measure(() => backend.setPublic(caller, assetId, isPublic));
  }

  /** Chunk `index`'s own SHA-256 as stored beside it (assets/chunk_digests.ts), if any. */
  @query([IDL.Nat64, IDL.Nat32], IDL.Opt(IDL.Vec(IDL.Nat8)))
  chunk_digest(blobId: bigint, index: number): [] | [Uint8Array] {
    const blob = backend.blobInfo(msgCaller().toUint8Array(), blobId);
    if ('Err' in blob) return [];
    const digest = backend.chunkDigests.get(blob.Ok, index);
    return digest === undefined ? [] : [digest];
  }

  /**
   * One upload of `pieces` chunks of `chunkSize` bytes through the real put_chunk path, in one
   * message: byte j of chunk i is (31 i + 7 j) mod 256, so a test knows every byte. Answers the
   * finish result's error text, or "" once finished.
   */
  @update([IDL.Text, IDL.Nat32, IDL.Nat32, IDL.Bool], IDL.Text)
  async seed_pieces(assetId: string, pieces: number, chunkSize: number, isPublic: boolean): Promise<string> {
    const caller = msgCaller().toUint8Array();
    const chunk = (i: number) => Uint8Array.from({ length: chunkSize }, (_, j) => (31 * i + 7 * j) & 255);
    const whole = new Uint8Array(pieces * chunkSize);
    for (let i = 0; i < pieces; i++) whole.set(chunk(i), i * chunkSize);
    const begun = backend.begin(caller, {
      asset_id: assetId,
      variant: 'original',
      file_name: 'pieces.bin',
      content_type: 'application/octet-stream',
      size: BigInt(whole.length),
      chunk_size: chunkSize,
      sha256: sha256(whole),
      public: isPublic
    });
    if ('Err' in begun) return JSON.stringify(Object.keys(begun.Err));
    // All at once: the backend hashes them in order whatever order their calls finish in.
    const puts = await Promise.all(Array.from({ length: pieces }, (_, i) => backend.putChunk(caller, begun.Ok.uploadId, i, chunk(i))));
    const failed = puts.findIndex((put) => 'Err' in put);
    if (failed >= 0) return `put_chunk ${failed}: ${JSON.stringify(puts[failed])}`;
    const finished = await backend.finish(caller, begun.Ok.uploadId, undefined);
    return 'Err' in finished ? `finish: ${JSON.stringify(Object.keys(finished.Err))}` : '';
  }
}
