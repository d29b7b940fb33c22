// The Candid contract of the ic_upload canister (DESIGN.md, "The Candid contract"), written once
// and shared: the canister builds its IDL types from it with Azle's IDL, clients and tests with
// agent-js's. `candid/ic_upload.did` is what the build generates from the same types.
import type { IDL as CandidIDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';

type Idl = typeof CandidIDL;

/** Builds every type of the contract with the given IDL implementation. */
export function contractTypes(IDL: Idl) {
  const UploadId = IDL.Nat64;
  const BlobId = IDL.Nat64;
  const InitArgs = IDL.Record({
    max_chunk_bytes: IDL.Opt(IDL.Nat32),
    max_upload_bytes: IDL.Opt(IDL.Nat64),
    upload_idle_timeout_s: IDL.Opt(IDL.Nat64),
    max_open_uploads_per_caller: IDL.Opt(IDL.Nat32),
    max_open_uploads: IDL.Opt(IDL.Nat64),
    max_bytes_per_caller: IDL.Opt(IDL.Nat64),
    max_assets_per_caller: IDL.Opt(IDL.Nat64)
  });
  const BeginArgs = IDL.Record({
    asset_id: IDL.Text,
    variant: IDL.Text,
    file_name: IDL.Text,
    content_type: IDL.Text,
    size: IDL.Nat64,
    chunk_size: IDL.Nat32,
    sha256: IDL.Opt(IDL.Vec(IDL.Nat8)),
    idempotency_key: IDL.Opt(IDL.Vec(IDL.Nat8)),
    public: IDL.Opt(IDL.Bool)
  });
  const BeginOk = IDL.Record({ upload_id: UploadId, chunk_count: IDL.Nat32, expires_at_ns: IDL.Nat64 });
  const PutChunkArgs = IDL.Record({ upload_id: UploadId, index: IDL.Nat32, bytes: IDL.Vec(IDL.Nat8) });
  const ChunkAck = IDL.Record({ received: IDL.Nat32, hashed: IDL.Nat32 });
  const FinishArgs = IDL.Record({ upload_id: UploadId, sha256: IDL.Opt(IDL.Vec(IDL.Nat8)) });
  const BlobInfo = IDL.Record({
    blob_id: BlobId,
    owner: IDL.Principal,
    asset_id: IDL.Text,
    variant: IDL.Text,
    file_name: IDL.Text,
    content_type: IDL.Text,
    size: IDL.Nat64,
    sha256: IDL.Vec(IDL.Nat8),
    chunk_size: IDL.Nat32,
    chunk_count: IDL.Nat32,
    created_at_ns: IDL.Nat64
  });
  const UploadState = IDL.Variant({ Open: IDL.Null, Finished: BlobId, Aborted: IDL.Null });
  const UploadStatus = IDL.Record({
    upload_id: UploadId,
    owner: IDL.Principal,
    asset_id: IDL.Text,
    variant: IDL.Text,
    size: IDL.Nat64,
    chunk_size: IDL.Nat32,
    chunk_count: IDL.Nat32,
    received: IDL.Vec(IDL.Nat32),
    hashed: IDL.Nat32,
    state: UploadState,
    expires_at_ns: IDL.Nat64
  });
  const Asset = IDL.Record({
    asset_id: IDL.Text,
    owner: IDL.Principal,
    variants: IDL.Vec(IDL.Tuple(IDL.Text, BlobInfo)),
    public: IDL.Bool
  });
  const Stats = IDL.Record({
    open_uploads: IDL.Nat64,
    blobs: IDL.Nat64,
    assets: IDL.Nat64,
    stored_bytes: IDL.Nat64,
    stable_memory_bytes: IDL.Nat64,
    upgrade_instructions: IDL.Opt(IDL.Nat64)
  });
  const Limits = IDL.Record({
    max_chunk_bytes: IDL.Nat32,
    max_upload_bytes: IDL.Nat64,
    max_chunks_per_upload: IDL.Nat32,
    upload_idle_timeout_s: IDL.Nat64,
    max_open_uploads_per_caller: IDL.Nat32,
    max_open_uploads: IDL.Nat64,
    max_variants_per_asset: IDL.Nat32,
    max_asset_id_bytes: IDL.Nat32,
    max_bytes_per_caller: IDL.Opt(IDL.Nat64),
    max_assets_per_caller: IDL.Opt(IDL.Nat64)
  });
  const AssetPage = IDL.Record({ assets: IDL.Vec(Asset), next: IDL.Opt(IDL.Text) });
  const Error = IDL.Variant({
    InvalidArgument: IDL.Text,
    NotFound: IDL.Text,
    Forbidden: IDL.Text,
    InvalidState: IDL.Text,
    ChunkOutOfRange: IDL.Record({ index: IDL.Nat32, chunk_count: IDL.Nat32 }),
    ChunkSizeMismatch: IDL.Record({ index: IDL.Nat32, expected: IDL.Nat32, actual: IDL.Nat32 }),
    ChunkConflict: IDL.Record({ index: IDL.Nat32 }),
    Incomplete: IDL.Record({ missing: IDL.Vec(IDL.Nat32) }),
    HashMismatch: IDL.Record({ expected: IDL.Vec(IDL.Nat8), actual: IDL.Vec(IDL.Nat8) }),
    HashPending: IDL.Record({ hashed: IDL.Nat32, chunk_count: IDL.Nat32 }),
    LimitExceeded: IDL.Text
  });
  const result = (ok: CandidIDL.Type) => IDL.Variant({ Ok: ok, Err: Error });
  return {
    UploadId,
    BlobId,
    InitArgs,
    BeginArgs,
    BeginOk,
    PutChunkArgs,
    ChunkAck,
    FinishArgs,
    BlobInfo,
    UploadState,
    UploadStatus,
    Asset,
    Stats,
    Limits,
    AssetPage,
    Error,
    BeginResult: result(BeginOk),
    PutChunkResult: result(ChunkAck),
    FinishResult: result(BlobInfo),
    UnitResult: result(IDL.Null),
    UploadStatusResult: result(UploadStatus),
    BlobInfoResult: result(BlobInfo),
    ReadChunkResult: result(IDL.Vec(IDL.Nat8)),
    AssetResult: result(Asset)
  };
}

export const idlFactory: CandidIDL.InterfaceFactory = ({ IDL }) => {
  const t = contractTypes(IDL as Idl);
  return IDL.Service({
    begin: IDL.Func([t.BeginArgs], [t.BeginResult], []),
    put_chunk: IDL.Func([t.PutChunkArgs], [t.PutChunkResult], []),
    finish: IDL.Func([t.FinishArgs], [t.FinishResult], []),
    abort: IDL.Func([t.UploadId], [t.UnitResult], []),
    upload_status: IDL.Func([t.UploadId], [t.UploadStatusResult], ['query']),
    my_uploads: IDL.Func([], [IDL.Vec(t.UploadStatus)], ['query']),
    blob_info: IDL.Func([t.BlobId], [t.BlobInfoResult], ['query']),
    read_chunk: IDL.Func([t.BlobId, IDL.Nat32], [t.ReadChunkResult], ['query']),
    get_asset: IDL.Func([IDL.Text], [t.AssetResult], ['query']),
    list_assets: IDL.Func([IDL.Opt(IDL.Text), IDL.Nat32], [IDL.Vec(t.Asset)], ['query']),
    delete_asset: IDL.Func([IDL.Text], [t.UnitResult], []),
    stats: IDL.Func([], [t.Stats], ['query']),
    limits: IDL.Func([], [t.Limits], ['query']),
    list_assets_page: IDL.Func([IDL.Opt(IDL.Text), IDL.Nat32], [t.AssetPage], ['query']),
    set_public: IDL.Func([IDL.Text, IDL.Bool], [t.AssetResult], [])
  });
};

/** The service's init argument: `(opt InitArgs)`. */
export const init = ({ IDL }: { IDL: Idl }) => [IDL.Opt(contractTypes(IDL).InitArgs)];

// ---- TypeScript types of the contract (as agent-js decodes them) ----

export type UploadId = bigint;
export type BlobId = bigint;
export interface InitArgs {
  max_chunk_bytes: [] | [number];
  max_upload_bytes: [] | [bigint];
  upload_idle_timeout_s: [] | [bigint];
  max_open_uploads_per_caller: [] | [number];
  /** Open uploads in the whole canister; default 10,000. */
  max_open_uploads: [] | [bigint];
  /** Stored bytes one owner may hold (blobs and open uploads); default none. */
  max_bytes_per_caller: [] | [bigint];
  /** Assets one owner may hold; default none. */
  max_assets_per_caller: [] | [bigint];
}
export interface BeginArgs {
  asset_id: string;
  variant: string;
  file_name: string;
  content_type: string;
  size: bigint;
  chunk_size: number;
  sha256: [] | [Uint8Array | number[]];
  /** 1..=32 bytes: a begin retried with the same key and arguments answers the same upload. */
  idempotency_key: [] | [Uint8Array | number[]];
  /** On finish, the asset becomes public (true) or private (false); absent leaves it as it is. */
  public: [] | [boolean];
}
export interface BeginOk {
  upload_id: UploadId;
  chunk_count: number;
  expires_at_ns: bigint;
}
export interface PutChunkArgs {
  upload_id: UploadId;
  index: number;
  bytes: Uint8Array | number[];
}
export interface ChunkAck {
  received: number;
  hashed: number;
}
export interface FinishArgs {
  upload_id: UploadId;
  sha256: [] | [Uint8Array | number[]];
}
export interface BlobInfo {
  blob_id: BlobId;
  owner: Principal;
  asset_id: string;
  variant: string;
  file_name: string;
  content_type: string;
  size: bigint;
  sha256: Uint8Array | number[];
  chunk_size: number;
  chunk_count: number;
  created_at_ns: bigint;
}
export type UploadState = { Open: null } | { Finished: BlobId } | { Aborted: null };
export interface UploadStatus {
  upload_id: UploadId;
  owner: Principal;
  asset_id: string;
  variant: string;
  size: bigint;
  chunk_size: number;
  chunk_count: number;
  received: Uint32Array | number[];
  hashed: number;
  state: UploadState;
  expires_at_ns: bigint;
}
export interface Asset {
  asset_id: string;
  owner: Principal;
  variants: Array<[string, BlobInfo]>;
  public: boolean;
}
export interface Stats {
  open_uploads: bigint;
  blobs: bigint;
  assets: bigint;
  stored_bytes: bigint;
  stable_memory_bytes: bigint;
  /** Instructions the last upgrade's hooks used (pre_upgrade + post_upgrade). */
  upgrade_instructions: [] | [bigint];
}
export interface Limits {
  max_chunk_bytes: number;
  max_upload_bytes: bigint;
  max_chunks_per_upload: number;
  upload_idle_timeout_s: bigint;
  max_open_uploads_per_caller: number;
  max_open_uploads: bigint;
  max_variants_per_asset: number;
  max_asset_id_bytes: number;
  max_bytes_per_caller: [] | [bigint];
  max_assets_per_caller: [] | [bigint];
}
/** `next`: pass as `after` for the following page; absent exactly when no asset remains. */
export interface AssetPage {
  assets: Asset[];
  next: [] | [string];
}
export type UploadError =
  | { InvalidArgument: string }
  | { NotFound: string }
  | { Forbidden: string }
  | { InvalidState: string }
  | { ChunkOutOfRange: { index: number; chunk_count: number } }
  | { ChunkSizeMismatch: { index: number; expected: number; actual: number } }
  | { ChunkConflict: { index: number } }
  | { Incomplete: { missing: Uint32Array | number[] } }
  | { HashMismatch: { expected: Uint8Array | number[]; actual: Uint8Array | number[] } }
  | { HashPending: { hashed: number; chunk_count: number } }
  | { LimitExceeded: string };
export type Result<T> = { Ok: T } | { Err: UploadError };

/** The service as an actor exposes it: what the client library needs and nothing more. */
export interface IcUploadService {
  begin(args: BeginArgs): Promise<Result<BeginOk>>;
  put_chunk(args: PutChunkArgs): Promise<Result<ChunkAck>>;
  finish(args: FinishArgs): Promise<Result<BlobInfo>>;
  abort(uploadId: UploadId): Promise<Result<null>>;
  upload_status(uploadId: UploadId): Promise<Result<UploadStatus>>;
  my_uploads(): Promise<UploadStatus[]>;
  blob_info(blobId: BlobId): Promise<Result<BlobInfo>>;
  read_chunk(blobId: BlobId, index: number): Promise<Result<Uint8Array | number[]>>;
  get_asset(assetId: string): Promise<Result<Asset>>;
  list_assets(after: [] | [string], limit: number): Promise<Asset[]>;
  delete_asset(assetId: string): Promise<Result<null>>;
  stats(): Promise<Stats>;
  limits(): Promise<Limits>;
  list_assets_page(after: [] | [string], limit: number): Promise<AssetPage>;
  set_public(assetId: string, isPublic: boolean): Promise<Result<Asset>>;
}
