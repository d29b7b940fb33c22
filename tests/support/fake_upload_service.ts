// A faithful in-memory implementation of the ic_upload contract (DESIGN.md, "The Candid contract"),
// for unit tests of the client: same Err variants, idempotent put_chunk and finish, asset ownership
// (controllers may read, publish and delete any asset or blob, as the canister's do), the rolling hash with its frontier, and optionally a hashing budget that makes `finish` answer
// HashPending. It counts every call so tests can assert on traffic.
import { sha256 } from '@noble/hashes/sha2.js';
import { Principal } from '@icp-sdk/core/principal';
import type {
  Asset,
  AssetPage,
  BeginArgs,
  BeginOk,
  BlobInfo,
  ChunkAck,
  FinishArgs,
  HttpRequest,
  HttpResponse,
  IcUploadService,
  Limits,
  PutChunkArgs,
  Result,
  Stats,
  UploadError,
  UploadStatus
} from '../../candid/ic_upload.js';

export interface FakeOptions {
  maxChunkBytes?: number;
  maxUploadBytes?: number;
  maxOpenUploadsPerCaller?: number;
  /** Chunks hashed per message at most (models the instruction budget); Infinity = unlimited. */
  hashBudgetChunks?: number;
  caller?: Principal;
  /** The canister's controllers: they may read, make public or private, and delete any asset or blob. */
  controllers?: Principal[];
}

interface Session {
  id: bigint;
  owner: Principal;
  args: BeginArgs;
  chunkCount: number;
  chunks: Map<number, Uint8Array>;
  hashed: number;
  hasher: ReturnType<typeof sha256.create>;
  state: { Open: null } | { Finished: bigint } | { Aborted: null };
  expiresAt: bigint;
}

/** A non-anonymous default caller (anonymous callers can't begin uploads). */
export const ALICE = Principal.fromUint8Array(new Uint8Array([0xa1, 0x1c, 0xe0, 0x01, 0x02]));
export const BOB = Principal.fromUint8Array(new Uint8Array([0xb0, 0xb0, 0x01]));
/** A principal to pass in `controllers`. */
export const ADMIN = Principal.fromUint8Array(new Uint8Array([0xad, 0x01, 0x01]));

const bytesOf = (v: Uint8Array | number[]) => (v instanceof Uint8Array ? v : Uint8Array.from(v));
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
const err = <T>(e: UploadError): Result<T> => ({ Err: e });

export class FakeUploadService implements IcUploadService {
  caller: Principal;
  readonly calls = new Map<string, number>();
  /** put_chunk indexes received, in call order, per upload id. */
  readonly putLog: Array<{ uploadId: bigint; index: number }> = [];
  readonly sessions = new Map<bigint, Session>();
  readonly blobs = new Map<bigint, { info: BlobInfo; chunks: Uint8Array[] }>();
  readonly assets = new Map<string, { owner: Principal; variants: Map<string, bigint>; public: boolean }>();
  private nextUpload = 1n;
  private nextBlob = 1n;
  private now = 1_700_000_000_000_000_000n;
  private readonly opts: Required<Omit<FakeOptions, 'caller' | 'controllers'>>;
  private readonly controllers: Set<string>;

  constructor(options: FakeOptions = {}) {
    this.caller = options.caller ?? ALICE;
    this.controllers = new Set((options.controllers ?? []).map((p) => p.toText()));
    this.opts = {
      maxChunkBytes: options.maxChunkBytes ?? 2_000_000,
      maxUploadBytes: options.maxUploadBytes ?? 2 * 1024 ** 3,
      maxOpenUploadsPerCaller: options.maxOpenUploadsPerCaller ?? 16,
      hashBudgetChunks: options.hashBudgetChunks ?? Infinity
    };
  }

  count(method: string): number {
    return this.calls.get(method) ?? 0;
  }

  private record(method: string): void {
    this.calls.set(method, this.count(method) + 1);
    this.now += 1_000_000n;
  }

  /** Blobs and assets: their owner or a controller (uploads stay their owner's alone). */
  private mayRead(owner: Principal): boolean {
    return owner.toText() === this.caller.toText() || this.controllers.has(this.caller.toText());
  }

  private openSession(id: bigint): Session | UploadError {
    const s = this.sessions.get(id);
    if (!s) return { NotFound: `upload ${id} not found` };
    if (s.owner.toText() !== this.caller.toText()) return { Forbidden: 'not the owner of this upload' };
    return s;
  }

  async begin(args: BeginArgs): Promise<Result<BeginOk>> {
    this.record('begin');
    if (this.caller.isAnonymous()) return err({ Forbidden: 'anonymous caller' });
    const idLen = new TextEncoder().encode(args.asset_id).length;
    if (idLen < 1 || idLen > 256) return err({ InvalidArgument: 'asset_id must be 1..=256 bytes' });
    const vLen = new TextEncoder().encode(args.variant).length;
    if (vLen < 1 || vLen > 32) return err({ InvalidArgument: 'variant must be 1..=32 bytes' });
    if (args.chunk_size < 1) return err({ InvalidArgument: 'chunk_size must be positive' });
    if (args.chunk_size > this.opts.maxChunkBytes) return err({ LimitExceeded: `chunk_size over ${this.opts.maxChunkBytes}` });
    if (args.size > BigInt(this.opts.maxUploadBytes)) return err({ LimitExceeded: `size over ${this.opts.maxUploadBytes}` });
    if (args.sha256.length === 1 && bytesOf(args.sha256[0]).length !== 32) return err({ InvalidArgument: 'sha256 must be 32 bytes' });
    const asset = this.assets.get(args.asset_id);
    if (asset && asset.owner.toText() !== this.caller.toText()) return err({ Forbidden: 'asset belongs to another principal' });
    const open = [...this.sessions.values()].filter((s) => 'Open' in s.state && s.owner.toText() === this.caller.toText()).length;
    if (open >= this.opts.maxOpenUploadsPerCaller) return err({ LimitExceeded: 'too many open uploads' });
    const id = this.nextUpload++;
    const chunkCount = Number((args.size + BigInt(args.chunk_size) - 1n) / BigInt(args.chunk_size));
    const expiresAt = this.now + 900_000_000_000n;
    this.sessions.set(id, {
      id,
      owner: this.caller,
      args,
      chunkCount,
      chunks: new Map(),
      hashed: 0,
      hasher: sha256.create(),
      state: { Open: null },
      expiresAt
    });
    return { Ok: { upload_id: id, chunk_count: chunkCount, expires_at_ns: expiresAt } };
  }

  private expectedLength(s: Session, index: number): number {
    const size = Number(s.args.size);
    return index === s.chunkCount - 1 ? size - index * s.args.chunk_size : s.args.chunk_size;
  }

  private advance(s: Session, budget: number): void {
    while (budget > 0 && s.hashed < s.chunkCount && s.chunks.has(s.hashed)) {
      s.hasher.update(s.chunks.get(s.hashed)!);
      s.hashed++;
      budget--;
    }
  }

  async put_chunk(args: PutChunkArgs): Promise<Result<ChunkAck>> {
    this.record('put_chunk');
    const s = this.openSession(args.upload_id);
    if (!('id' in s)) return err(s);
    if (!('Open' in s.state)) return err({ InvalidState: 'upload is not open' });
    if (args.index >= s.chunkCount) return err({ ChunkOutOfRange: { index: args.index, chunk_count: s.chunkCount } });
    const bytes = bytesOf(args.bytes);
    const expected = this.expectedLength(s, args.index);
    if (bytes.length !== expected) return err({ ChunkSizeMismatch: { index: args.index, expected, actual: bytes.length } });
    const stored = s.chunks.get(args.index);
    if (stored && !same(stored, bytes)) return err({ ChunkConflict: { index: args.index } });
    this.putLog.push({ uploadId: s.id, index: args.index });
    if (!stored) s.chunks.set(args.index, bytes.slice());
    this.advance(s, this.opts.hashBudgetChunks);
    return { Ok: { received: s.chunks.size, hashed: s.hashed } };
  }

  async finish(args: FinishArgs): Promise<Result<BlobInfo>> {
    this.record('finish');
    const s = this.openSession(args.upload_id);
    if (!('id' in s)) return err(s);
    if ('Finished' in s.state) return { Ok: this.blobs.get(s.state.Finished)!.info };
    if ('Aborted' in s.state) return err({ InvalidState: 'upload was aborted' });
    const fromBegin = s.args.sha256[0] ? bytesOf(s.args.sha256[0]) : undefined;
    const fromFinish = args.sha256[0] ? bytesOf(args.sha256[0]) : undefined;
    if (!fromBegin && !fromFinish) return err({ InvalidArgument: 'no digest given at begin or finish' });
    if (fromBegin && fromFinish && !same(fromBegin, fromFinish)) return err({ HashMismatch: { expected: fromBegin, actual: fromFinish } });
    const missing: number[] = [];
    for (let i = 0; i < s.chunkCount && missing.length < 100; i++) if (!s.chunks.has(i)) missing.push(i);
    if (missing.length > 0) return err({ Incomplete: { missing } });
    this.advance(s, this.opts.hashBudgetChunks);
    if (s.hashed < s.chunkCount) return err({ HashPending: { hashed: s.hashed, chunk_count: s.chunkCount } });
    const actual = s.hasher.clone().digest();
    const expected = (fromFinish ?? fromBegin)!;
    if (!same(actual, expected)) return err({ HashMismatch: { expected, actual } });
    const asset = this.assets.get(s.args.asset_id);
    if (asset && asset.owner.toText() !== this.caller.toText()) return err({ Forbidden: 'asset belongs to another principal' });
    const blobId = this.nextBlob++;
    const info: BlobInfo = {
      blob_id: blobId,
      owner: s.owner,
      asset_id: s.args.asset_id,
      variant: s.args.variant,
      file_name: s.args.file_name,
      content_type: s.args.content_type,
      size: s.args.size,
      sha256: actual,
      chunk_size: s.args.chunk_size,
      chunk_count: s.chunkCount,
      created_at_ns: this.now
    };
    this.blobs.set(blobId, { info, chunks: [...Array(s.chunkCount).keys()].map((i) => s.chunks.get(i)!) });
    const entry = asset ?? { owner: this.caller, variants: new Map<string, bigint>(), public: false };
    if (s.args.public.length === 1) entry.public = s.args.public[0];
    const previous = entry.variants.get(s.args.variant);
    entry.variants.set(s.args.variant, blobId);
    this.assets.set(s.args.asset_id, entry);
    if (previous !== undefined) this.blobs.delete(previous);
    s.state = { Finished: blobId };
    return { Ok: info };
  }

  async abort(uploadId: bigint): Promise<Result<null>> {
    this.record('abort');
    const s = this.openSession(uploadId);
    if (!('id' in s)) return err(s);
    if ('Finished' in s.state) return err({ InvalidState: 'upload already finished' });
    s.state = { Aborted: null };
    s.chunks.clear();
    return { Ok: null };
  }

  private status(s: Session): UploadStatus {
    return {
      upload_id: s.id,
      owner: s.owner,
      asset_id: s.args.asset_id,
      variant: s.args.variant,
      size: s.args.size,
      chunk_size: s.args.chunk_size,
      chunk_count: s.chunkCount,
      received: [...s.chunks.keys()].sort((a, b) => a - b),
      hashed: s.hashed,
      state: s.state,
      expires_at_ns: s.expiresAt
    };
  }

  async upload_status(uploadId: bigint): Promise<Result<UploadStatus>> {
    this.record('upload_status');
    const s = this.openSession(uploadId);
    return 'id' in s ? { Ok: this.status(s) } : err(s);
  }

  async my_uploads(): Promise<UploadStatus[]> {
    this.record('my_uploads');
    return [...this.sessions.values()].filter((s) => s.owner.toText() === this.caller.toText()).map((s) => this.status(s));
  }

  async blob_info(blobId: bigint): Promise<Result<BlobInfo>> {
    this.record('blob_info');
    const b = this.blobs.get(blobId);
    if (!b) return err({ NotFound: `blob ${blobId} not found` });
    if (!this.mayRead(b.info.owner)) return err({ Forbidden: 'not the owner of this blob' });
    return { Ok: b.info };
  }

  async read_chunk(blobId: bigint, index: number): Promise<Result<Uint8Array>> {
    this.record('read_chunk');
    const b = this.blobs.get(blobId);
    if (!b) return err({ NotFound: `blob ${blobId} not found` });
    if (!this.mayRead(b.info.owner)) return err({ Forbidden: 'not the owner of this blob' });
    if (index >= b.chunks.length) return err({ ChunkOutOfRange: { index, chunk_count: b.chunks.length } });
    return { Ok: b.chunks[index]!.slice() };
  }

  private asset(id: string): Asset {
    const a = this.assets.get(id)!;
    return {
      asset_id: id,
      owner: a.owner,
      variants: [...a.variants.entries()].sort().map(([v, b]) => [v, this.blobs.get(b)!.info]),
      public: a.public
    };
  }

  async get_asset(assetId: string): Promise<Result<Asset>> {
    this.record('get_asset');
    const a = this.assets.get(assetId);
    if (!a) return err({ NotFound: `asset ${assetId} not found` });
    if (!this.mayRead(a.owner)) return err({ Forbidden: 'not the owner of this asset' });
    return { Ok: this.asset(assetId) };
  }

  async list_assets(after: [] | [string], limit: number): Promise<Asset[]> {
    this.record('list_assets');
    return [...this.assets.keys()]
      .filter((id) => this.assets.get(id)!.owner.toText() === this.caller.toText() && (after.length === 0 || id > after[0]))
      .sort()
      .slice(0, limit)
      .map((id) => this.asset(id));
  }

  async list_assets_page(after: [] | [string], limit: number): Promise<AssetPage> {
    this.record('list_assets_page');
    const ids = [...this.assets.keys()]
      .filter((id) => this.assets.get(id)!.owner.toText() === this.caller.toText() && (after.length === 0 || id > after[0]))
      .sort();
    const page = ids.slice(0, Math.min(limit, 100));
    const last = page.at(-1);
    return { assets: page.map((id) => this.asset(id)), next: last !== undefined && ids.length > page.length ? [last] : [] };
  }

  async set_public(assetId: string, isPublic: boolean): Promise<Result<Asset>> {
    this.record('set_public');
    const a = this.assets.get(assetId);
    if (!a) return err({ NotFound: `asset ${assetId} not found` });
    if (!this.mayRead(a.owner)) return err({ Forbidden: 'not the owner of this asset' });
    a.public = isPublic;
    return { Ok: this.asset(assetId) };
  }

  /** The fake serves nothing over HTTP (and certifies nothing): certified serving is tested on the canister. */
  async http_request(_request: HttpRequest): Promise<HttpResponse> {
    this.record('http_request');
    return { status_code: 404, headers: [], body: new Uint8Array(0), streaming_strategy: [], upgrade: [] };
  }

  async limits(): Promise<Limits> {
    this.record('limits');
    return {
      max_chunk_bytes: this.opts.maxChunkBytes,
      max_upload_bytes: BigInt(this.opts.maxUploadBytes),
      max_chunks_per_upload: 65_536,
      upload_idle_timeout_s: 900n,
      max_open_uploads_per_caller: this.opts.maxOpenUploadsPerCaller,
      max_open_uploads: 10_000n,
      max_variants_per_asset: 32,
      max_asset_id_bytes: 256,
      max_bytes_per_caller: [],
      max_assets_per_caller: []
    };
  }

  async delete_asset(assetId: string): Promise<Result<null>> {
    this.record('delete_asset');
    const a = this.assets.get(assetId);
    if (!a) return err({ NotFound: `asset ${assetId} not found` });
    if (!this.mayRead(a.owner)) return err({ Forbidden: 'not the owner of this asset' });
    for (const blobId of a.variants.values()) this.blobs.delete(blobId);
    this.assets.delete(assetId);
    return { Ok: null };
  }

  async stats(): Promise<Stats> {
    this.record('stats');
    let stored = 0n;
    for (const b of this.blobs.values()) stored += b.info.size;
    return {
      open_uploads: BigInt([...this.sessions.values()].filter((s) => 'Open' in s.state).length),
      blobs: BigInt(this.blobs.size),
      assets: BigInt(this.assets.size),
      stored_bytes: stored,
      stable_memory_bytes: 0n,
      upgrade_instructions: []
    };
  }
}

/** Wraps a service so chosen calls throw before reaching it (a lost request) — e.g. transient faults. */
export function withFaults(
  service: IcUploadService,
  decide: (method: keyof IcUploadService, callNumber: number, args: unknown[]) => Error | undefined
): IcUploadService {
  const counts = new Map<string, number>();
  return new Proxy(service, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const n = (counts.get(prop as string) ?? 0) + 1;
        counts.set(prop as string, n);
        const fault = decide(prop as keyof IcUploadService, n, args);
        if (fault) return Promise.reject(fault);
        return value.apply(target, args);
      };
    }
  });
}
