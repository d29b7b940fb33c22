// The Candid API layer (STYLE.md 4): caller → service → Result. Nothing here decides anything;
// src/backend/backend.ts and the services below it do. The types come from the shared contract
// (candid/ic_upload.ts), built with Azle's IDL so there is one source of truth.
import {
  certifiedDataSet,
  dataCertificate,
  IDL,
  init,
  inspectMessage,
  isController,
  msgArgData,
  msgCaller,
  msgMethodName,
  msgReply,
  performanceCounter,
  postUpgrade,
  preUpgrade,
  Principal,
  query,
  setTimer,
  setTimerInterval,
  StableBTreeMap,
  time,
  update
} from 'azle';
import type { IDL as ContractIDL } from '@icp-sdk/core/candid';

import { contractTypes, type BeginArgs, type HttpRequest, type HttpResponse } from '../../candid/ic_upload.js';
import { Backend, type Stores } from './backend.js';
import type { InitArgsInput } from './init_args.js';
import { mapOk, toAsset, toBlobInfo, toLimits, toUploadStatus } from './interface.js';
import { rawBytes, type KeyValueStore } from './kv.js';
import { argumentRefusal, isUpdateMethod } from './inspect.js';
import { MEMORY_IDS } from './memory.js';
import { absorb } from './native/native_sha256.js';
import { putChunkWire, type PutChunkArgs, type PutChunkReply } from './uploads/put_chunk_wire.js';
import type { Platform } from './platform.js';

// Azle bundles its own @dfinity/candid; its IDL has the same classes as the contract expects.
const t = contractTypes(IDL as unknown as typeof ContractIDL) as unknown as Record<
  keyof ReturnType<typeof contractTypes>,
  IDL.Type
>;

function stableStore(memoryId: number): KeyValueStore {
  return new StableBTreeMap<Uint8Array, Uint8Array>(memoryId, rawBytes, rawBytes);
}

const stores: Stores = {
  config: stableStore(MEMORY_IDS.config),
  sessions: stableStore(MEMORY_IDS.sessions),
  chunks: stableStore(MEMORY_IDS.chunks),
  blobs: stableStore(MEMORY_IDS.blobs),
  assets: stableStore(MEMORY_IDS.assets),
  hashStates: stableStore(MEMORY_IDS.hashStates),
  garbage: stableStore(MEMORY_IDS.garbage),
  openSessions: stableStore(MEMORY_IDS.openSessions),
  closedQueue: stableStore(MEMORY_IDS.closedQueue),
  ownerUploads: stableStore(MEMORY_IDS.ownerUploads),
  ownerAssets: stableStore(MEMORY_IDS.ownerAssets),
  ownerTotals: stableStore(MEMORY_IDS.ownerTotals),
  idempotency: stableStore(MEMORY_IDS.idempotency),
  httpTree: stableStore(MEMORY_IDS.httpTree),
  chunkDigests: stableStore(MEMORY_IDS.chunkDigests),
  httpPending: stableStore(MEMORY_IDS.httpPending),
  httpServed: stableStore(MEMORY_IDS.httpServed)
};

const platform: Platform = {
  time: () => time(),
  instructionCounter: () => performanceCounter(0),
  isController: (principal) => isController(Principal.fromUint8Array(principal)),
  setTimer: (delaySeconds, callback) => {
    setTimer(delaySeconds, callback);
  },
  setTimerInterval: (periodSeconds, callback) => {
    setTimerInterval(periodSeconds, callback);
  }
};

export const backend = new Backend(stores, platform, absorb, {
  setCertifiedData: (hash) => certifiedDataSet(hash),
  dataCertificate: () => dataCertificate()
});

const principal = (bytes: Uint8Array): Principal => Principal.fromUint8Array(bytes);
const caller = (): Uint8Array => msgCaller().toUint8Array();
const bytesOf = (value: Uint8Array | number[]): Uint8Array =>
  value instanceof Uint8Array ? value : Uint8Array.from(value);
const optBytes = (value: [] | [Uint8Array | number[]]): Uint8Array | undefined =>
  value.length === 0 ? undefined : bytesOf(value[0]);

/** put_chunk's argument and reply without Azle's codec where the shapes allow (put_chunk_wire.ts). */
const putChunkCodec = putChunkWire({
  decodeArgs: (arg) => {
    const [value] = IDL.decode([t.PutChunkArgs], arg) as [{ upload_id: bigint; index: number; bytes: Uint8Array | number[] }];
    return { ...value, bytes: bytesOf(value.bytes) } satisfies PutChunkArgs;
  },
  encodeReply: (reply: PutChunkReply) => IDL.encode([t.PutChunkResult], [reply])
});

/** The init argument may be absent (empty argument bytes), `(null)` or `(opt record {...})`. */
function initArgs(): InitArgsInput | undefined {
  const bytes = msgArgData();
  if (bytes.length === 0) return undefined;
  const [value] = IDL.decode([IDL.Opt(t.InitArgs)], bytes) as [[] | [InitArgsInput]];
  return value[0];
}

export class IcUploadCanister {
  @init([IDL.Opt(t.InitArgs)], { manual: true })
  init(): void {
    backend.init(initArgs());
  }

  /**
   * Ingress updates only (queries and inter-canister calls never pass here): refuses, before
   * consensus and at no cost to the canister, anonymous callers and arguments whose Candid
   * header no method of ours takes (inspect.ts).
   */
  @inspectMessage({ manual: true })
  inspectMessage(): boolean {
    const method = msgMethodName();
    if (isUpdateMethod(method) && msgCaller().isAnonymous()) return false;
    return argumentRefusal(method, msgArgData()) === undefined;
  }

  @preUpgrade
  preUpgrade(): void {
    backend.preUpgrade();
  }

  @postUpgrade([IDL.Opt(t.InitArgs)], { manual: true })
  postUpgrade(): void {
    backend.postUpgrade(initArgs());
  }

  @update([t.BeginArgs], t.BeginResult)
  begin(args: BeginArgs) {
    const result = backend.begin(caller(), {
      ...args,
      sha256: optBytes(args.sha256),
      idempotency_key: optBytes(args.idempotency_key),
      public: args.public[0]
    });
    return mapOk(result, (s) => ({ upload_id: s.uploadId, chunk_count: s.chunkCount, expires_at_ns: s.expiresAtNs }));
  }

  @update([t.PutChunkArgs], t.PutChunkResult, { manual: true })
  async put_chunk() {
    const args = putChunkCodec.decodeArgs(msgArgData());
    msgReply(putChunkCodec.encodeReply(await backend.putChunk(caller(), args.upload_id, args.index, args.bytes)));
  }

  @update([t.FinishArgs], t.FinishResult)
  async finish(args: { upload_id: bigint; sha256: [] | [Uint8Array | number[]] }) {
    // The caller is read before the first await (msg_caller is the callback's afterwards).
    const from = caller();
    return mapOk(await backend.finish(from, args.upload_id, optBytes(args.sha256)), (b) => toBlobInfo(b, principal));
  }

  @update([t.UploadId], t.UnitResult)
  abort(uploadId: bigint) {
    return backend.abort(caller(), uploadId);
  }

  @query([t.UploadId], t.UploadStatusResult)
  upload_status(uploadId: bigint) {
    return mapOk(backend.uploadStatus(caller(), uploadId), (s) => toUploadStatus(s, principal));
  }

  /**
   * The caller's uploads: open ones first, then recent closed ones, at most 100 and only as many
   * whole records as keep the reply's `received` indexes under 100,000 in all (uploads/service.ts
   * MY_UPLOADS_MAX_RECEIVED_INDEXES: each index costs ≈ 24,000 instructions to encode).
   */
  @query([], IDL.Vec(t.UploadStatus))
  my_uploads() {
    return backend.myUploads(caller()).map((s) => toUploadStatus(s, principal));
  }

  @query([t.BlobId], t.BlobInfoResult)
  blob_info(blobId: bigint) {
    return mapOk(backend.blobInfo(caller(), blobId), (b) => toBlobInfo(b, principal));
  }

  @query([t.BlobId, IDL.Nat32], t.ReadChunkResult)
  read_chunk(blobId: bigint, index: number) {
    return backend.readChunk(caller(), blobId, index);
  }

  @query([IDL.Text], t.AssetResult)
  get_asset(assetId: string) {
    return mapOk(backend.getAsset(caller(), assetId), (view) => toAsset(view, principal));
  }

  @query([IDL.Opt(IDL.Text), IDL.Nat32], IDL.Vec(t.Asset))
  list_assets(after: [] | [string], limit: number) {
    return backend.listAssets(caller(), after[0], limit).map((view) => toAsset(view, principal));
  }

  /** Pages with an explicit end: `next` is present exactly when more of the caller's assets remain. */
  @query([IDL.Opt(IDL.Text), IDL.Nat32], t.AssetPage)
  list_assets_page(after: [] | [string], limit: number) {
    const page = backend.listAssetsPage(caller(), after[0], limit);
    return {
      assets: page.assets.map((view) => toAsset(view, principal)),
      next: page.next === undefined ? [] : [page.next]
    };
  }

  @update([IDL.Text, IDL.Bool], t.AssetResult)
  set_public(assetId: string, isPublic: boolean) {
    return mapOk(backend.setPublic(caller(), assetId, isPublic), (view) => toAsset(view, principal));
  }

  /** Public assets over certified HTTP (src/backend/http): a query, as gateways call it. */
  @query([t.HttpRequest], t.HttpResponse)
  http_request(request: HttpRequest): HttpResponse {
    return backend.httpRequest({ ...request, body: bytesOf(request.body) });
  }

  @query([], t.Limits)
  limits() {
    return toLimits(backend.currentLimits);
  }

  @update([IDL.Text], t.UnitResult)
  delete_asset(assetId: string) {
    return backend.deleteAsset(caller(), assetId);
  }

  /** stable_memory_bytes: bytes of keys and values in the stable maps, not stable memory's size (backend.ts). */
  @query([], t.Stats)
  stats() {
    const s = backend.stats();
    return {
      open_uploads: BigInt(s.openUploads),
      blobs: BigInt(s.blobs),
      assets: BigInt(s.assets),
      stored_bytes: s.storedBytes,
      stable_memory_bytes: s.stableMemoryBytes,
      upgrade_instructions: s.upgradeInstructions === undefined ? [] : [s.upgradeInstructions]
    };
  }
}

export default IcUploadCanister;
