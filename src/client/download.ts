// Downloads: `read_chunk` in parallel, delivered to a sink in order, and verified against the blob
// record's size and SHA-256 before the caller sees a byte as final.
import { sha256 } from '@noble/hashes/sha2.js';
import type { BlobInfo, IcUploadService, Result } from '../../candid/ic_upload.js';
import { asBytes, bytesEqual, toHex } from '../shared/bytes.js';
import { IntegrityError, RetriesExhaustedError, ServiceError } from './errors.js';
import { DEFAULT_RETRY_POLICY, RetryFailure, systemClock, withRetry, type RetryPolicy } from './retry.js';
import type { Clock } from './types.js';

export interface DownloadOptions {
  /** Chunks requested at once. Default 8. */
  concurrency?: number;
  signal?: AbortSignal;
  retry?: Partial<RetryPolicy>;
  clock?: Clock;
  /** Called after each chunk is delivered, with bytes delivered so far. */
  onProgress?: (bytes: number, total: number) => void;
}

/** Receives chunks in order. `commit` runs only after verification; `discard` on any failure. */
export interface DownloadSink {
  write(bytes: Uint8Array): Promise<void>;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/** Finds the blob of one variant of an asset. */
export async function resolveVariant(actor: IcUploadService, assetId: string, variant = 'original'): Promise<BlobInfo> {
  const answer = await actor.get_asset(assetId);
  if ('Err' in answer) throw new ServiceError(answer.Err, assetId, 'get_asset');
  const found = answer.Ok.variants.find(([name]) => name === variant);
  if (!found) {
    const have = answer.Ok.variants.map(([name]) => name).join(', ');
    throw new ServiceError({ NotFound: `asset ${assetId} has no variant ${variant} (it has ${have})` }, assetId, 'get_asset');
  }
  return found[1];
}

/** Streams a blob into `sink`, verifying size and digest before `commit`. */
export async function downloadBlob(actor: IcUploadService, blob: BlobInfo, sink: DownloadSink, options: DownloadOptions = {}): Promise<BlobInfo> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const clock = options.clock ?? systemClock;
  const concurrency = options.concurrency ?? 8;
  const total = Number(blob.size);
  const name = blob.file_name || blob.asset_id;
  const hasher = sha256.create();
  let delivered = 0;
  const readChunk = async (index: number): Promise<Uint8Array> => {
    try {
      const answer: Result<Uint8Array | number[]> = await withRetry(() => actor.read_chunk(blob.blob_id, index), policy, clock, options.signal);
      if ('Err' in answer) throw new ServiceError(answer.Err, name, 'read_chunk');
      return asBytes(answer.Ok);
    } catch (error) {
      if (error instanceof RetryFailure) throw new RetriesExhaustedError(name, 'read_chunk', error.attempts, error.lastError);
      throw error;
    }
  };
  try {
    // A window of `concurrency` requests ahead of the next chunk to deliver.
    const pending = new Map<number, Promise<Uint8Array>>();
    let next = 0;
    for (let index = 0; index < blob.chunk_count; index++) {
      while (next < blob.chunk_count && next < index + concurrency) {
        const request = readChunk(next);
        request.catch(() => undefined); // handled when awaited in order
        pending.set(next, request);
        next++;
      }
      const bytes = await pending.get(index)!;
      pending.delete(index);
      hasher.update(bytes);
      delivered += bytes.length;
      if (delivered > total) throw new IntegrityError(name, `${total} bytes`, `at least ${delivered} bytes`);
      await sink.write(bytes);
      options.onProgress?.(delivered, total);
    }
    if (delivered !== total) throw new IntegrityError(name, `${total} bytes`, `${delivered} bytes`);
    const digest = hasher.digest();
    if (!bytesEqual(digest, blob.sha256)) throw new IntegrityError(name, `sha256 ${toHex(blob.sha256)}`, `sha256 ${toHex(digest)}`);
    await sink.commit();
    return blob;
  } catch (error) {
    await sink.discard();
    throw error;
  }
}

/** Downloads into memory: fine for small blobs and for the browser. */
export async function downloadBytes(actor: IcUploadService, blob: BlobInfo, options: DownloadOptions = {}): Promise<Uint8Array> {
  const out = new Uint8Array(Number(blob.size));
  let offset = 0;
  let done = false;
  await downloadBlob(
    actor,
    blob,
    {
      write: async (bytes) => {
        if (offset + bytes.length <= out.length) out.set(bytes, offset);
        offset += bytes.length;
      },
      commit: async () => {
        done = true;
      },
      discard: async () => undefined
    },
    options
  );
  if (!done) throw new Error('unreachable: download finished without commit');
  return out;
}

/** Downloads one variant of an asset into memory. */
export async function downloadAsset(actor: IcUploadService, assetId: string, variant = 'original', options: DownloadOptions = {}): Promise<{ blob: BlobInfo; bytes: Uint8Array }> {
  const blob = await resolveVariant(actor, assetId, variant);
  return { blob, bytes: await downloadBytes(actor, blob, options) };
}
