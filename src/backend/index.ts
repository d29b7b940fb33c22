// The Candid API layer: caller → service → Result. Nothing here decides anything:
// each method calls one service of the composition root (backend.ts) and maps its answer to the
// contract's shape (interface.ts). The types come from the shared contract (candid/ic_upload.ts),
// built with Azle's IDL so there is one source of truth.
//
// Every method is `manual` in Azle's sense: Azle neither decodes its argument nor encodes its
// reply, so `answer` can check the argument's header and length (inspect.ts) before any decoding.
// The upload methods and the queries clients ask per file decode and encode with their own
// Candid paths (uploads/*_wire.ts), which fall back to Azle's IDL for anything they do not
// recognize: Azle's IDL costs tens of millions of instructions a call in QuickJS.
// canister_inspect_message makes the same check for ingress updates before consensus; queries
// and calls from other canisters never pass inspection, and this is their protection.
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
  msgReject,
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

import { contractTypes, idlFactory, type IcUploadService } from '../../candid/ic_upload.js';
import { Backend, type Stores } from './backend.js';
import type { InitArgsInput } from './init_args.js';
import { mapOk, toAsset, toBlobInfo, toLimits, toStats, toUploadStatus } from './interface.js';
import { rawBytes, type KeyValueStore } from './kv.js';
import { argumentRefusal, isUpdateMethod } from './inspect.js';
import { MEMORY_IDS } from './memory.js';
import { absorb } from './native/native_sha256.js';
import type { Result } from './errors.js';
import { beginWire } from './uploads/begin_wire.js';
import { blobInfoWire, type WireBlobInfo } from './uploads/blob_info_wire.js';
import { finishWire, type FinishReply } from './uploads/finish_wire.js';
import { getAssetWire, type WireAsset } from './uploads/get_asset_wire.js';
import type { MethodCodec } from './uploads/method_wire.js';
import { putChunkWire } from './uploads/put_chunk_wire.js';
import { abortWire, uploadStatusWire, type WireUploadStatus } from './uploads/upload_id_wire.js';
import type { Platform } from './platform.js';

// Azle bundles its own @dfinity/candid; its IDL has the same classes as the contract expects.
const azleIdl = IDL as unknown as typeof ContractIDL;
const t = contractTypes(azleIdl) as unknown as Record<keyof ReturnType<typeof contractTypes>, IDL.Type>;
const service = idlFactory({ IDL: azleIdl }) as unknown as IDL.ServiceClass;
type Method = keyof IcUploadService;
const signatures = Object.fromEntries(service._fields) as Record<Method, IDL.FuncClass>;
const argTypes = (method: Method) => signatures[method].argTypes;
const retType = (method: Method) => signatures[method].retTypes[0]!;

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
  httpServed: stableStore(MEMORY_IDS.httpServed),
  smallChunks: stableStore(MEMORY_IDS.smallChunks),
  mediumChunks: stableStore(MEMORY_IDS.mediumChunks)
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
const { uploads, assets, http } = backend;

const principal = (bytes: Uint8Array): Principal => Principal.fromUint8Array(bytes);
/** A principal left as bytes, for replies the wire codecs write (uploads/*_wire.ts). */
const rawPrincipal = (bytes: Uint8Array): Uint8Array => bytes;
const caller = (): Uint8Array => msgCaller().toUint8Array();
const bytesOf = (value: Uint8Array | number[]): Uint8Array =>
  value instanceof Uint8Array ? value : Uint8Array.from(value);
const optView = (value: [] | [Uint8Array | number[]]): [] | [Uint8Array] => (value.length === 0 ? [] : [bytesOf(value[0])]);

/**
 * The Azle IDL codec of one method, for the methods with their own Candid paths in front of it
 * (uploads/*_wire.ts): `toArgs` makes its decoded argument the wire module's, `toReply` its reply
 * Azle's (principals as Principal).
 */
function azleCodec<M extends Method, A, R>(
  method: M,
  toArgs: (...args: Parameters<IcUploadService[M]>) => A,
  toReply: (reply: R) => unknown
): MethodCodec<A, R> {
  return {
    decodeArgs: (arg) => toArgs(...(IDL.decode(argTypes(method), arg) as Parameters<IcUploadService[M]>)),
    encodeReply: (reply) => IDL.encode([retType(method)], [toReply(reply)])
  };
}
const same = <T>(value: T): T => value;
const withPrincipal = <V extends { owner: Uint8Array }>(value: V) => ({ ...value, owner: principal(value.owner) });

const codecs = {
  begin: beginWire(
    azleCodec('begin', (a) => ({ ...a, sha256: optView(a.sha256), idempotency_key: optView(a.idempotency_key) }), same)
  ),
  put_chunk: putChunkWire(azleCodec('put_chunk', (a) => ({ ...a, bytes: bytesOf(a.bytes) }), same)),
  finish: finishWire(azleCodec('finish', (a) => ({ ...a, sha256: optView(a.sha256) }), (r: FinishReply) => mapOk(r, withPrincipal))),
  abort: abortWire(azleCodec('abort', same, same)),
  upload_status: uploadStatusWire(azleCodec('upload_status', same, (r: Result<WireUploadStatus>) => mapOk(r, withPrincipal))),
  blob_info: blobInfoWire(azleCodec('blob_info', same, (r: Result<WireBlobInfo>) => mapOk(r, withPrincipal))),
  get_asset: getAssetWire(
    azleCodec('get_asset', same, (r: Result<WireAsset>) =>
      mapOk(r, (a) => ({ ...withPrincipal(a), variants: a.variants.map(([v, b]) => [v, withPrincipal(b)]) }))
    )
  )
};

/** The init argument may be absent (empty argument bytes), `(null)` or `(opt record {...})`. */
function initArgs(): InitArgsInput | undefined {
  const bytes = msgArgData();
  if (bytes.length === 0) return undefined;
  const [value] = IDL.decode([IDL.Opt(t.InitArgs)], bytes) as [[] | [InitArgsInput]];
  return value[0];
}

/** Rejects the call if its argument's header or length is one no decoding should be spent on. */
function refused(method: Method, bytes: Uint8Array): boolean {
  const refusal = argumentRefusal(method, bytes);
  if (refusal === undefined) return false;
  msgReject(`ic_upload refused the argument of ${method}: ${refusal}`);
  return true;
}

type Handler<M extends Method> = (...args: Parameters<IcUploadService[M]>) => unknown;

/**
 * Checks the argument's header and length before decoding it (a refusal is a reject, at a cost
 * of thousands of instructions, not billions), decodes it with `codec`, runs `handler` and
 * replies with its answer encoded. The caller and argument are read before the handler's first await.
 */
function answerWith<A, R>(method: Method, codec: MethodCodec<A, R>, handler: (args: A) => R | Promise<R>): void | Promise<void> {
  const bytes = msgArgData();
  if (refused(method, bytes)) return;
  const args = codec.decodeArgs(bytes);
  const reply = (value: R) => msgReply(codec.encodeReply(value));
  const value = handler(args);
  if (value instanceof Promise) return value.then(reply);
  reply(value);
}

/** As `answerWith`, with Azle's IDL for the method's argument and reply. */
function answer<M extends Method>(method: M, handler: Handler<M>): void | Promise<void> {
  return answerWith(method, azleCodec(method, (...args) => args, same), (args) => handler(...args));
}

export class IcUploadCanister {
  @init([IDL.Opt(t.InitArgs)], { manual: true })
  init(): void {
    backend.lifecycle.init(initArgs());
  }

  /**
   * Ingress updates only (queries and inter-canister calls never pass here): refuses, before
   * consensus and at no cost to the canister, anonymous callers and arguments whose Candid
   * header or length no method of ours takes (inspect.ts).
   */
  @inspectMessage({ manual: true })
  inspectMessage(): boolean {
    const method = msgMethodName();
    if (isUpdateMethod(method) && msgCaller().isAnonymous()) return false;
    return argumentRefusal(method, msgArgData()) === undefined;
  }

  @preUpgrade
  preUpgrade(): void {
    backend.lifecycle.preUpgrade();
  }

  @postUpgrade([IDL.Opt(t.InitArgs)], { manual: true })
  postUpgrade(): void {
    backend.lifecycle.postUpgrade(initArgs());
  }

  @update(argTypes('begin'), retType('begin'), { manual: true })
  begin() {
    return answerWith('begin', codecs.begin, (args) =>
      mapOk(
        uploads.begin(caller(), {
          ...args,
          sha256: args.sha256[0],
          idempotency_key: args.idempotency_key[0],
          public: args.public[0]
        }),
        (s) => ({ upload_id: s.uploadId, chunk_count: s.chunkCount, expires_at_ns: s.expiresAtNs })
      )
    );
  }

  /** The chunk stays a view of the argument (put_chunk_wire.ts). */
  @update(argTypes('put_chunk'), retType('put_chunk'), { manual: true })
  put_chunk() {
    return answerWith('put_chunk', codecs.put_chunk, (args) => uploads.putChunk(caller(), args.upload_id, args.index, args.bytes));
  }

  @update(argTypes('finish'), retType('finish'), { manual: true })
  finish() {
    return answerWith('finish', codecs.finish, async (args) =>
      mapOk(await uploads.finish(caller(), args.upload_id, args.sha256[0]), (b) => toBlobInfo(b, rawPrincipal))
    );
  }

  @update(argTypes('abort'), retType('abort'), { manual: true })
  abort() {
    return answerWith('abort', codecs.abort, (uploadId) => uploads.abort(caller(), uploadId));
  }

  @query(argTypes('upload_status'), retType('upload_status'), { manual: true })
  upload_status() {
    return answerWith('upload_status', codecs.upload_status, (uploadId) =>
      mapOk(uploads.status(caller(), uploadId), (s) => toUploadStatus(s, rawPrincipal))
    );
  }

  /**
   * The caller's uploads: open ones first, then recent closed ones, at most 100 and only as many
   * whole records as keep the reply's `received` indexes under 100,000 in all (uploads/service.ts
   * MY_UPLOADS_MAX_RECEIVED_INDEXES: each index costs ≈ 24,000 instructions to encode).
   */
  @query(argTypes('my_uploads'), retType('my_uploads'), { manual: true })
  my_uploads() {
    return answer('my_uploads', () => uploads.myUploads(caller()).map((s) => toUploadStatus(s, principal)));
  }

  @query(argTypes('blob_info'), retType('blob_info'), { manual: true })
  blob_info() {
    return answerWith('blob_info', codecs.blob_info, (blobId) => mapOk(assets.blobInfo(caller(), blobId), (b) => toBlobInfo(b, rawPrincipal)));
  }

  @query(argTypes('read_chunk'), retType('read_chunk'), { manual: true })
  read_chunk() {
    return answer('read_chunk', (blobId, index) => assets.readChunk(caller(), blobId, index));
  }

  @query(argTypes('get_asset'), retType('get_asset'), { manual: true })
  get_asset() {
    return answerWith('get_asset', codecs.get_asset, (assetId) => mapOk(assets.getAsset(caller(), assetId), (view) => toAsset(view, rawPrincipal)));
  }

  @query(argTypes('list_assets'), retType('list_assets'), { manual: true })
  list_assets() {
    return answer('list_assets', (after, limit) => assets.listAssets(caller(), after[0], limit).map((view) => toAsset(view, principal)));
  }

  /** Pages with an explicit end: `next` is present exactly when more of the caller's assets remain. */
  @query(argTypes('list_assets_page'), retType('list_assets_page'), { manual: true })
  list_assets_page() {
    return answer('list_assets_page', (after, limit) => {
      const page = assets.listAssetsPage(caller(), after[0], limit);
      return { assets: page.assets.map((view) => toAsset(view, principal)), next: page.next === undefined ? [] : [page.next] };
    });
  }

  @update(argTypes('set_public'), retType('set_public'), { manual: true })
  set_public() {
    return answer('set_public', (assetId, isPublic) => mapOk(assets.setPublic(caller(), assetId, isPublic), (view) => toAsset(view, principal)));
  }

  /** Public assets over certified HTTP (src/backend/http): a query, as gateways call it. */
  @query(argTypes('http_request'), retType('http_request'), { manual: true })
  http_request() {
    return answer('http_request', (request) => http.handle({ ...request, body: bytesOf(request.body) }));
  }

  @query(argTypes('limits'), retType('limits'), { manual: true })
  limits() {
    return answer('limits', () => toLimits(backend.limits.current));
  }

  @update(argTypes('delete_asset'), retType('delete_asset'), { manual: true })
  delete_asset() {
    return answer('delete_asset', (assetId) => assets.deleteAsset(caller(), assetId));
  }

  /** stable_memory_bytes: bytes of keys and values in the stable maps, not stable memory's size (stats.ts). */
  @query(argTypes('stats'), retType('stats'), { manual: true })
  stats() {
    return answer('stats', () => toStats(backend.stats.read()));
  }
}

export default IcUploadCanister;
