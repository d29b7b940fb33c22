// The composition root: the canister's stores, services, timers and limits, wired together.
// index.ts builds one with Azle's StableBTreeMaps and System API, and its API layer calls the
// services it exposes; unit tests build one with in-memory fakes. It decides nothing itself.
import { CountingStore, type KeyValueStore } from './kv.js';
import { CounterState } from './counters.js';
import { Migration } from './migration.js';
import type { Platform } from './platform.js';
import { UploadSessions } from './uploads/service.js';
import { RollingHashes, type Absorb } from './session/hashing.js';
import { initialMidstate } from './native/midstate.js';
import { ChunkDigests } from './assets/chunk_digests.js';
import { LimitsInForce } from './init_args.js';
import { BackgroundWork } from './timers.js';
import { Lifecycle } from './lifecycle.js';
import { CanisterStats } from './stats.js';
import { SessionService } from './session/service.js';
import { BlobStore } from './assets/blob_store.js';
import { AssetCatalogue } from './assets/catalogue.js';
import { AssetServer, type CertificationPlatform } from './http/asset_server.js';
import { sessionCodec, type UploadMeta } from './model/session_record.js';

export interface Stores {
  config: KeyValueStore;
  sessions: KeyValueStore;
  chunks: KeyValueStore;
  blobs: KeyValueStore;
  assets: KeyValueStore;
  hashStates: KeyValueStore;
  garbage: KeyValueStore;
  openSessions: KeyValueStore;
  closedQueue: KeyValueStore;
  ownerUploads: KeyValueStore;
  ownerAssets: KeyValueStore;
  ownerTotals: KeyValueStore;
  idempotency: KeyValueStore;
  httpTree: KeyValueStore;
  chunkDigests: KeyValueStore;
  httpPending: KeyValueStore;
  httpServed: KeyValueStore;
  smallChunks: KeyValueStore;
  mediumChunks: KeyValueStore;
}

/** Outside a canister (unit tests) nothing is certified and no certificate exists. */
const NO_CERTIFICATION: CertificationPlatform = {
  setCertifiedData: () => undefined,
  dataCertificate: () => undefined
};

export class Backend {
  readonly counters: CounterState;
  readonly limits: LimitsInForce;
  /** The upload API: begin, put_chunk, finish, abort, upload_status, my_uploads. */
  readonly uploads: UploadSessions;
  /** Blobs and assets: blob_info, read_chunk, get_asset, the listings, set_public, delete_asset. */
  readonly assets: AssetCatalogue;
  /** `http_request`: public assets over certified HTTP. */
  readonly http: AssetServer;
  readonly chunkDigests: ChunkDigests;
  readonly stats: CanisterStats;
  readonly lifecycle: Lifecycle;
  readonly work: BackgroundWork;

  constructor(stores: Stores, platform: Platform, absorb: Absorb, certification: CertificationPlatform = NO_CERTIFICATION) {
    const counters = (this.counters = new CounterState(stores.config));
    const counted = (store: KeyValueStore) => new CountingStore(store, counters);
    const flush = () => counters.flush();
    const freeBudget = () => this.work.freeBudget();
    this.limits = new LimitsInForce(stores.config);
    const hashes = new RollingHashes();
    const sessions = new SessionService<UploadMeta>(
      {
        records: counted(stores.sessions),
        open: counted(stores.openSessions),
        closedQueue: counted(stores.closedQueue),
        ownerLists: counted(stores.ownerUploads)
      },
      sessionCodec
    );
    const blobStore: BlobStore = new BlobStore(
      { small: counted(stores.smallChunks), medium: counted(stores.mediumChunks), large: counted(stores.chunks) },
      counted(stores.garbage),
      counters,
      (key, index) => this.chunkDigests.removeForSession(key, index)
    );
    this.chunkDigests = new ChunkDigests(counted(stores.chunkDigests), blobStore);
    this.assets = new AssetCatalogue(
      {
        blobs: counted(stores.blobs),
        assets: counted(stores.assets),
        ownerAssets: counted(stores.ownerAssets),
        ownerTotals: counted(stores.ownerTotals)
      },
      blobStore,
      platform,
      Number(platform.time() & 0xffff_ffffn),
      { freeBudget, flush }
    );
    this.uploads = new UploadSessions({
      sessions,
      hashes,
      absorb,
      chunkDigests: this.chunkDigests,
      blobStore,
      uploads: this.assets,
      counters,
      platform,
      limits: () => this.limits.current,
      idempotency: counted(stores.idempotency),
      freeBudget,
      scheduleHashing: () => this.work.scheduleHashing(),
      flush
    });
    const hashStates = counted(stores.hashStates);
    const migration = new Migration({ config: stores.config, hashStates, sessions, uploads: this.assets, counters, hashes });
    this.http = new AssetServer({
      catalogue: this.assets,
      blobStore,
      digests: this.chunkDigests,
      config: stores.config,
      tree: counted(stores.httpTree),
      pending: counted(stores.httpPending),
      served: counted(stores.httpServed),
      certification,
      isController: (principal) => platform.isController(principal),
      instructionCounter: () => platform.instructionCounter(),
      chunkSha256: async (bytes) => {
        const hashed = await absorb(initialMidstate(), bytes, { final: true });
        return hashed.kind === 'ok' ? hashed.digest : undefined;
      },
      time: () => platform.time(),
      schedule: () => this.work.scheduleHttp()
    });
    this.work = new BackgroundWork({
      platform,
      counters,
      uploads: this.uploads,
      sessions,
      blobStore,
      server: this.http,
      migration,
      limits: () => this.limits.current
    });
    this.stats = new CanisterStats(stores.config, counters, sessions, this.assets);
    this.lifecycle = new Lifecycle({
      config: stores.config,
      hashStates,
      platform,
      counters,
      limits: this.limits,
      sessions,
      hashes,
      migration,
      server: this.http,
      work: this.work
    });
  }
}
