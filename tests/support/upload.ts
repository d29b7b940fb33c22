// Shared pieces of the ic_upload end-to-end tests (tests/e2e/upload.*.test.ts): install the
// canister, deterministic test data, unwrap Results, and an uploader that drives the contract the
// way a client does (begin, chunks in a given order, finish with HashPending retries). Plain
// pic-js, so the tests run unchanged against a real PocketIC server (POCKET_IC_BIN).
import { type Actor, createIdentity, PocketIc } from '@dfinity/pic';
import { IDL } from '@icp-sdk/core/candid';
import type { Identity } from '@icp-sdk/core/agent';
import type { Principal } from '@icp-sdk/core/principal';
import { sha256 } from '@noble/hashes/sha2.js';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, inject } from 'vitest';
import {
  idlFactory,
  init,
  type BeginArgs,
  type BlobInfo,
  type IcUploadService,
  type InitArgs,
  type Result,
  type UploadError
} from '../../candid/ic_upload.js';

export { idlFactory, sha256 };
export { toHex as hex } from '../../src/shared/bytes.js';
export type UploadActor = Actor<IcUploadService>;

export const UPLOAD_WASM = fileURLToPath(new URL('../../.azle/ic_upload/ic_upload.wasm', import.meta.url));
export const UPLOAD_DID = fileURLToPath(new URL('../../.azle/ic_upload.did', import.meta.url));
export const CHECKED_IN_DID = fileURLToPath(new URL('../../candid/ic_upload.did', import.meta.url));

export const alice = createIdentity('ic-upload e2e alice');
export const bob = createIdentity('ic-upload e2e bob');
/** Installs and controls the canister in these tests. */
export const admin = createIdentity('ic-upload e2e admin');

export const NO_LIMITS: InitArgs = {
  max_chunk_bytes: [],
  max_upload_bytes: [],
  upload_idle_timeout_s: [],
  max_open_uploads_per_caller: [],
  max_open_uploads: [],
  max_bytes_per_caller: [],
  max_assets_per_caller: []
};

/** `(opt InitArgs)`: pass undefined for `(null)`. */
export function encodeInitArgs(args: InitArgs | undefined): Uint8Array {
  return new Uint8Array(IDL.encode(init({ IDL }), [args === undefined ? [] : [args]]));
}

export interface UploadCanister {
  canisterId: Principal;
  /** Alice's actor. */
  actor: UploadActor;
  /** An actor for the canister as another identity. */
  as(identity: Identity): UploadActor;
}

export async function setupUpload(pic: PocketIc, initArgs?: InitArgs): Promise<UploadCanister> {
  const fixture = await pic.setupCanister<IcUploadService>({
    idlFactory,
    wasm: UPLOAD_WASM,
    sender: admin.getPrincipal(),
    arg: encodeInitArgs(initArgs)
  });
  const as = (identity: Identity): UploadActor => {
    const actor = pic.createActor<IcUploadService>(idlFactory, fixture.canisterId);
    actor.setIdentity(identity);
    return actor;
  };
  return { canisterId: fixture.canisterId, actor: as(alice), as };
}

/** A test file's PocketIC instance: created in its first beforeAll, torn down in its afterAll. */
export interface PicPerFile {
  /** Read it inside hooks and tests, once the beforeAll has run. */
  readonly pic: PocketIc;
}

export function picPerFile(): PicPerFile {
  let pic: PocketIc | undefined;
  beforeAll(async () => {
    pic = await PocketIc.create(inject('PIC_URL'));
  });
  afterAll(async () => {
    await pic?.tearDown();
  });
  return {
    get pic() {
      if (pic === undefined) throw new Error('the PocketIC instance is made in beforeAll: read it inside hooks and tests');
      return pic;
    }
  };
}

/**
 * A test file's PocketIC instance with a canister installed by `install` (after picPerFile's
 * beforeAll, before the file's own hooks): the installed canister's fields, and `pic` to drive
 * time and upgrades. Read them inside hooks and tests.
 */
export function canisterPerFile<C extends object>(install: (pic: PocketIc) => Promise<C>): C & PicPerFile {
  const file = picPerFile();
  let canister: C | undefined;
  beforeAll(async () => {
    canister = await install(file.pic);
  });
  return new Proxy({} as C & PicPerFile, {
    get(_target, key) {
      if (key === 'pic') return file.pic;
      if (canister === undefined) throw new Error('the canister is installed in beforeAll: read it inside hooks and tests');
      return Reflect.get(canister, key);
    }
  });
}

export type UploadPerFile = UploadCanister & PicPerFile;

/** canisterPerFile with ic_upload installed by setupUpload. */
export function uploadPerFile(initArgs?: InitArgs): UploadPerFile {
  return canisterPerFile((pic) => setupUpload(pic, initArgs));
}

export function okOf<T>(result: Result<T>): T {
  if ('Err' in result) throw new Error(`expected Ok, got Err ${describeError(result.Err)}`);
  return result.Ok;
}

export function errOf<T>(result: Result<T>): UploadError {
  if ('Ok' in result) throw new Error('expected Err, got Ok');
  return result.Err;
}

export function describeError(error: UploadError): string {
  return JSON.stringify(error, (_key, value) =>
    typeof value === 'bigint' ? value.toString() : value instanceof Uint8Array ? `0x${Buffer.from(value).toString('hex')}` : value
  );
}

/** Deterministic pseudo-random bytes (xorshift32), fast enough for tens of MB. */
export function testBytes(length: number, seed: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(length / 4));
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  return new Uint8Array(words.buffer, 0, length);
}

export function chunksOf(data: Uint8Array, chunkSize: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += chunkSize) out.push(data.subarray(at, Math.min(data.length, at + chunkSize)));
  return out;
}

export interface UploadSpec {
  assetId: string;
  variant?: string;
  data: Uint8Array;
  chunkSize: number;
  fileName?: string;
  contentType?: string;
  /** Chunk indexes in the order to send them; default ascending. */
  order?: number[];
  /** Where the expected digest goes; default begin. */
  digestAt?: 'begin' | 'finish';
  /** `public` of begin; default unset (the asset's visibility stays). */
  public?: boolean;
}

/** BeginArgs for tests that vary a few fields: the rest are a 1,000-byte upload in chunks of 500. */
export function beginArgs(overrides: Partial<BeginArgs> = {}): BeginArgs {
  return {
    asset_id: 'asset',
    variant: 'original',
    file_name: 'f.bin',
    content_type: 'application/octet-stream',
    size: 1000n,
    chunk_size: 500,
    sha256: [],
    idempotency_key: [],
    public: [],
    ...overrides
  };
}

export async function beginUpload(actor: UploadActor, spec: UploadSpec) {
  return okOf(
    await actor.begin(
      beginArgs({
        asset_id: spec.assetId,
        variant: spec.variant ?? 'original',
        file_name: spec.fileName ?? `${spec.assetId}.bin`,
        content_type: spec.contentType ?? 'application/octet-stream',
        size: BigInt(spec.data.length),
        chunk_size: spec.chunkSize,
        sha256: spec.digestAt === 'finish' ? [] : [sha256(spec.data)],
        public: spec.public === undefined ? [] : [spec.public]
      })
    )
  );
}

/** finish, retrying while the canister answers HashPending (ticking so its timer runs). */
export async function finishUpload(
  pic: PocketIc,
  actor: UploadActor,
  uploadId: bigint,
  digest: [] | [Uint8Array],
  onPending?: (hashed: number) => void,
  maxAttempts = 100
): Promise<BlobInfo> {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const result = await actor.finish({ upload_id: uploadId, sha256: digest });
    if ('Ok' in result) return result.Ok;
    if (!('HashPending' in result.Err)) throw new Error(`finish failed: ${describeError(result.Err)}`);
    onPending?.(result.Err.HashPending.hashed);
    await pic.tick();
  }
  throw new Error(`finish still HashPending after ${maxAttempts} attempts`);
}

/** The whole client flow for one file; answers the finished blob. */
export async function uploadFile(pic: PocketIc, actor: UploadActor, spec: UploadSpec): Promise<BlobInfo> {
  const begun = await beginUpload(actor, spec);
  const chunks = chunksOf(spec.data, spec.chunkSize);
  const order = spec.order ?? chunks.map((_, i) => i);
  for (const index of order) {
    okOf(await actor.put_chunk({ upload_id: begun.upload_id, index, bytes: chunks[index] }));
  }
  return finishUpload(pic, actor, begun.upload_id, spec.digestAt === 'finish' ? [sha256(spec.data)] : []);
}

/** Reads a blob back chunk by chunk with read_chunk. */
export async function readBlob(actor: UploadActor, blob: BlobInfo): Promise<Uint8Array> {
  const out = new Uint8Array(Number(blob.size));
  let at = 0;
  for (let index = 0; index < blob.chunk_count; index++) {
    const bytes = okOf(await actor.read_chunk(blob.blob_id, index));
    out.set(bytes, at);
    at += bytes.length;
  }
  if (at !== out.length) throw new Error(`read ${at} bytes of a ${out.length}-byte blob`);
  return out;
}
