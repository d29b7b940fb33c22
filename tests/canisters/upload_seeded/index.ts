// The ic_upload canister (the same module, src/backend/index.ts) plus test-only methods
// (./interface.ts). `seed` and `seed_asset` build large states fast: zero-byte uploads (begin +
// finish) through the real services, skipping only Candid and ingress, so each leaves what a real
// one leaves — a closed session record, a blob, an asset, and every index entry. The others
// measure instructions or read what is stored. Never deployed: tests only.
import type { IDL as ContractIDL } from '@icp-sdk/core/candid';
import { IDL, msgCaller, performanceCounter, query, update } from 'azle';

import type { HttpRequest } from '../../../candid/ic_upload.js';

import { backend, IcUploadCanister } from '../../../src/backend/index.js';
import { sha256 } from '../../../src/backend/hash/sha256.js';
import { seededMethods } from './interface.js';

const EMPTY_DIGEST = sha256(new Uint8Array(0));

// Azle bundles its own @dfinity/candid; its IDL has the same classes as the interface expects.
const methods = seededMethods(IDL as unknown as typeof ContractIDL);
type Method = keyof typeof methods;
const args = (name: Method) => methods[name].argTypes as unknown as IDL.Type[];
const reply = (name: Method) => methods[name].retTypes[0] as unknown as IDL.Type;

/** Instructions `run` used (performanceCounter(0) around it). */
function measure(run: () => unknown): bigint {
  const before = performanceCounter(0);
  run();
  return performanceCounter(0) - before;
}

/** Zero-byte uploads by the caller (begin + finish through the services); answers how many finished. */
async function seedUploads(uploads: Array<{ assetId: string; variant: string }>, fileName: string, contentType: string): Promise<number> {
  const caller = msgCaller().toUint8Array();
  let finished = 0;
  for (const { assetId, variant } of uploads) {
    const begun = backend.uploads.begin(caller, {
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
    if ('Ok' in (await backend.uploads.finish(caller, begun.Ok.uploadId, undefined))) finished++;
  }
  return finished;
}

export default class extends IcUploadCanister {
  /** `count` zero-byte uploads by the caller into assets `<prefix><n>`; answers how many finished. */
  @update(args('seed'), reply('seed'))
  async seed(prefix: string, from: number, count: number): Promise<number> {
    const uploads = Array.from({ length: count }, (_, i) => ({ assetId: `${prefix}${String(from + i).padStart(6, '0')}`, variant: 'original' }));
    return seedUploads(uploads, 'seed', 'application/octet-stream');
  }

  /** One asset with the given variants (zero-byte uploads), file name and content type. */
  @update(args('seed_asset'), reply('seed_asset'))
  async seed_asset(assetId: string, variants: string[], fileName: string, contentType: string): Promise<number> {
    return seedUploads(variants.map((variant) => ({ assetId, variant })), fileName, contentType);
  }

  /**
   * Instructions each service call uses inside one message, Candid aside: one small upload of
   * the caller's (begin, put_chunk, finish), a page of 10 assets, my_uploads, stats, and the
   * upload's deletion — so tests can compare them across stored sizes.
   */
  @update(args('probe'), reply('probe'))
  async probe(assetId: string) {
    const caller = msgCaller().toUint8Array();
    const bytes = Uint8Array.of(1, 2, 3);
    let uploadId = 0n;
    const begin = measure(() => {
      const begun = backend.uploads.begin(caller, {
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
    const putChunk = measure(() => (put = backend.uploads.putChunk(caller, uploadId, 0, bytes)));
    await put;
    return {
      begin,
      put_chunk: putChunk,
      finish: measure(() => backend.uploads.finish(caller, uploadId, undefined)),
      list_assets_page: measure(() => backend.assets.listAssetsPage(caller, undefined, 10)),
      my_uploads: measure(() => backend.uploads.myUploads(caller)),
      stats: measure(() => backend.stats.read()),
      delete_asset: measure(() => backend.assets.deleteAsset(caller, assetId))
    };
  }

  /** The instructions `http_request` spends answering `request` (Candid encoding of the reply aside). */
  @query(args('http_request_instructions'), reply('http_request_instructions'))
  http_request_instructions(request: HttpRequest): bigint {
    return measure(() => backend.http.handle(request));
  }

  /** set_public, measured: with a change of visibility, one update of the certification tree. */
  @update(args('set_public_instructions'), reply('set_public_instructions'))
  set_public_instructions(assetId: string, isPublic: boolean): bigint {
    const caller = msgCaller().toUint8Array();
    return measure(() => backend.assets.setPublic(caller, assetId, isPublic));
  }

  /** Chunk `index`'s own SHA-256 as stored beside it (assets/chunk_digests.ts), if any. */
  @query(args('chunk_digest'), reply('chunk_digest'))
  chunk_digest(blobId: bigint, index: number): [] | [Uint8Array] {
    const blob = backend.assets.blobInfo(msgCaller().toUint8Array(), blobId);
    if ('Err' in blob) return [];
    const digest = backend.chunkDigests.get(blob.Ok, index);
    return digest === undefined ? [] : [digest];
  }

  /**
   * One upload of `pieces` chunks of `chunkSize` bytes through the real put_chunk path, in one
   * message: byte j of chunk i is (31 i + 7 j) mod 256, so a test knows every byte. Answers the
   * finish result's error text, or "" once finished.
   */
  @update(args('seed_pieces'), reply('seed_pieces'))
  async seed_pieces(assetId: string, pieces: number, chunkSize: number, isPublic: boolean): Promise<string> {
    const caller = msgCaller().toUint8Array();
    const chunk = (i: number) => Uint8Array.from({ length: chunkSize }, (_, j) => (31 * i + 7 * j) & 255);
    const whole = new Uint8Array(pieces * chunkSize);
    for (let i = 0; i < pieces; i++) whole.set(chunk(i), i * chunkSize);
    const begun = backend.uploads.begin(caller, {
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
    const puts = await Promise.all(Array.from({ length: pieces }, (_, i) => backend.uploads.putChunk(caller, begun.Ok.uploadId, i, chunk(i))));
    const failed = puts.findIndex((put) => 'Err' in put);
    if (failed >= 0) return `put_chunk ${failed}: ${JSON.stringify(puts[failed])}`;
    const finished = await backend.uploads.finish(caller, begun.Ok.uploadId, undefined);
    return 'Err' in finished ? `finish: ${JSON.stringify(Object.keys(finished.Err))}` : '';
  }
}
