// The canister's state and services, assembled from stores and a Platform. index.ts builds one
// with Azle's StableBTreeMaps and System API; unit tests build one with in-memory fakes. Every
// method that changes state ends with flush(), which writes the counters once.
import { decodeHashState, encodeHashState } from './model/hash_state_record.js';
import { readU64Key, u64Key } from './encoding.js';
import { CountingStore, type KeyValueStore } from './kv.js';
import { CONFIG_KEYS } from './memory.js';
import { CounterState } from './counters.js';
import { Migration } from './migration.js';
import type { BeginInput } from './assert.js';
import { ok, type Result } from './errors.js';
import type { Platform } from './platform.js';
import { UploadSessions, type ChunkAckValue } from './uploads/service.js';
import { hashedBytes, RollingHashes, type Absorb } from './session/hashing.js';
import { initialMidstate } from './native/midstate.js';
import { ChunkDigests } from './assets/chunk_digests.js';
import { applyInitArgs, type InitArgsInput } from './init_args.js';
import { TimerChain } from './timers.js';
import { SessionService } from './session/service.js';
import { BlobStore } from './assets/blob_store.js';
import { AssetCatalogue, type AssetPageView, type AssetView } from './assets/catalogue.js';
import { AssetServer, type CertificationPlatform } from './http/asset_server.js';
import type { HttpRequest, HttpResponse } from './http/asset_http.js';
import type { BlobRecord } from './model/blob_record.js';
import { CLOSED_SESSION_RETENTION_NS, DEFAULT_LIMITS, decodeLimits, encodeLimits, type Limits } from './model/limits.js';
import { sessionCodec, type SessionRecord, type UploadMeta } from './model/session_record.js';

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
}

/** Outside a canister (unit tests) nothing is certified and no certificate exists. */
const NO_CERTIFICATION: CertificationPlatform = {
  setCertifiedData: () => undefined,
  dataCertificate: () => undefined
};

/** Freeing chunks stops this far below the 40 billion limit (each removal copies one chunk). */
const FREE_INSTRUCTION_LIMIT = 34_000_000_000n;
/** The expiry sweep runs this often at most (and at least every quarter of the idle timeout). */
const MAX_SWEEP_PERIOD_S = 60;
/**
 * One sweep message handles at most this many session records (expiring or pruning) and stops
 * once it has used this many instructions (of 40 billion); a timer carries on with the rest.
 */
const SWEEP_MAX_RECORDS = 1_000;
const SWEEP_INSTRUCTION_LIMIT = 20_000_000_000n;
/** One migration slice enters at most this many records (sessions or blobs). */
const MIGRATION_MAX_RECORDS = 20_000;

/** Bytes a midstate in the JavaScript Sha256's export format covers (its length field). */
function midstateCovers(state: Uint8Array): bigint {
  return new DataView(state.buffer, state.byteOffset, state.byteLength).getBigUint64(33, false);
}

export class Backend {
  readonly counters: CounterState;
  private limits: Limits = { ...DEFAULT_LIMITS };
  private readonly sessions: SessionService<UploadMeta>;
  private readonly hashes: RollingHashes;
  private readonly blobStore: BlobStore;
  private readonly uploads: AssetCatalogue;
  readonly api: UploadSessions;
  readonly chunkDigests: ChunkDigests;
  private readonly hashStates: KeyValueStore;
  private readonly hashTimer: TimerChain;
  private readonly garbageTimer: TimerChain;
  /** Continues a sweep that stopped at its budget, without waiting for the next interval. */
  private readonly sweepTimer: TimerChain;
  private readonly migration: Migration;
  private readonly migrationTimer: TimerChain;
  private readonly server: AssetServer;
  private readonly httpTimer: TimerChain;

  constructor(
    private readonly stores: Stores,
    private readonly platform: Platform,
    absorb: Absorb,
    certification: CertificationPlatform = NO_CERTIFICATION
  ) {
    this.counters = new CounterState(stores.config);
    const counted = (store: KeyValueStore) => new CountingStore(store, this.counters);
    this.hashes = new RollingHashes();
    this.sessions = new SessionService(
      {
        records: counted(stores.sessions),
        open: counted(stores.openSessions),
        closedQueue: counted(stores.closedQueue),
        ownerLists: counted(stores.ownerUploads)
      },
      sessionCodec
    );
    this.blobStore = new BlobStore(counted(stores.chunks), counted(stores.garbage), this.counters, (key, index) =>
      this.chunkDigests.removeForSession(key, index)
    );
    this.chunkDigests = new ChunkDigests(counted(stores.chunkDigests), this.blobStore);
    this.uploads = new AssetCatalogue(
      {
        blobs: counted(stores.blobs),
        assets: counted(stores.assets),
        ownerAssets: counted(stores.ownerAssets),
        ownerTotals: counted(stores.ownerTotals)
      },
      this.blobStore,
      platform,
      Number(platform.time() & 0xffff_ffffn)
    );
    this.api = new UploadSessions({
      sessions: this.sessions,
      hashes: this.hashes,
      absorb,
      chunkDigests: this.chunkDigests,
      blobStore: this.blobStore,
      uploads: this.uploads,
      counters: this.counters,
      platform,
      limits: () => this.limits,
      idempotency: counted(stores.idempotency),
      freeBudget: () => this.freeBudget(),
      scheduleHashing: () => this.scheduleHashing(),
      flush: () => this.counters.flush()
    });
    this.hashStates = counted(stores.hashStates);
    this.hashTimer = new TimerChain(platform, () => this.onHashTimer());
    this.garbageTimer = new TimerChain(platform, () => this.onGarbageTimer());
    this.sweepTimer = new TimerChain(platform, () => this.onSweepTimer());
    this.migration = new Migration({
      config: stores.config,
      hashStates: this.hashStates,
      sessions: this.sessions,
      uploads: this.uploads,
      counters: this.counters,
      hashes: this.hashes
    });
    this.migrationTimer = new TimerChain(platform, () => this.onMigrationTimer());
    const digests = this.chunkDigests;
    this.httpTimer = new TimerChain(platform, () => this.onHttpTimer());
    this.server = new AssetServer({
      catalogue: this.uploads,
      blobStore: this.blobStore,
      digests,
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
      schedule: () => this.httpTimer.arm()
    });
  }

  private freeBudget(): boolean {
    const allowed = this.platform.instructionCounter() < FREE_INSTRUCTION_LIMIT;
    if (!allowed) this.scheduleGarbage();
    return allowed;
  }

  get currentLimits(): Readonly<Limits> {
    return this.limits;
  }

  // ---- lifecycle ----

  init(args: InitArgsInput | undefined): void {
    this.limits = applyInitArgs(DEFAULT_LIMITS, args);
    this.stores.config.insert(CONFIG_KEYS.limits, encodeLimits(this.limits));
    this.migration.markFresh();
    this.server.init();
    this.load();
    this.counters.flush();
  }

  /** Saves every open upload's SHA-256 midstate, so that it survives the heap reset. */
  preUpgrade(): void {
    for (const [uploadId, state] of this.hashes.exportStates()) {
      const session = this.sessions.get(uploadId);
      if (session === undefined || session.state.kind !== 'open') continue;
      this.hashStates.insert(u64Key(uploadId), encodeHashState(hashedBytes(session), state));
    }
    this.counters.flush();
    this.stores.config.insert(CONFIG_KEYS.preUpgradeInstructions, u64Key(this.platform.instructionCounter()));
  }

  postUpgrade(args: InitArgsInput | undefined): void {
    const stored = this.stores.config.get(CONFIG_KEYS.limits);
    this.limits = applyInitArgs(stored === undefined ? DEFAULT_LIMITS : decodeLimits(stored), args);
    this.stores.config.insert(CONFIG_KEYS.limits, encodeLimits(this.limits));
    this.counters.load();
    this.migration.startIfNeeded();
    this.load();
    this.restoreHashStates();
    this.server.postUpgrade();
    if (this.migration.pending()) this.onMigrationTimer();
    this.counters.flush();
    this.recordUpgradeInstructions();
  }

  /** Last: the figure covers everything post_upgrade did, plus what pre_upgrade carried across. */
  private recordUpgradeInstructions(): void {
    const carried = this.stores.config.remove(CONFIG_KEYS.preUpgradeInstructions);
    const pre = carried === undefined ? 0n : readU64Key(carried);
    this.stores.config.insert(CONFIG_KEYS.upgradeInstructions, u64Key(pre + this.platform.instructionCounter()));
  }

  /** What the last upgrade's hooks used; undefined before the first upgrade. */
  upgradeInstructions(): bigint | undefined {
    const bytes = this.stores.config.get(CONFIG_KEYS.upgradeInstructions);
    return bytes === undefined ? undefined : readU64Key(bytes);
  }

  private load(): void {
    this.counters.load();
    this.sessions.load();
    this.scheduleSweep();
    if (this.blobStore.hasGarbage()) this.scheduleGarbage();
  }

  /**
   * Nothing unverified is used: a state whose length disagrees with its frontier restarts at 0,
   * and so does one that stops inside a chunk (saved by a version that hashed in JavaScript
   * slices). Chunk digests behind the frontier may be missing (a private upload writes none):
   * HTTP serving computes whatever a blob made public lacks.
   */
  private restoreHashStates(): void {
    for (const session of [...this.sessions.openSessions()]) {
      const saved = this.hashStates.remove(u64Key(session.uploadId));
      let restored = false;
      if (saved !== undefined && session.hashedOffset === 0) {
        try {
          const { hashedBytes: covered, state } = decodeHashState(saved);
          restored = covered === hashedBytes(session) && this.hashes.restore(session.uploadId, state);
          if (restored && midstateCovers(state) !== covered) restored = false;
        } catch {
          restored = false;
        }
      }
      if (!restored) {
        this.hashes.start(session.uploadId);
        session.hashed = 0;
        session.hashedOffset = 0;
        this.sessions.save(session);
      }
      if (session.hashed < this.sessions.contiguousEnd(session)) this.scheduleHashing();
    }
    // States of sessions that are no longer open (one call: paging would skip from the front).
    for (const [key] of this.hashStates.items(0, this.hashStates.len())) this.hashStates.remove(key);
  }

  // ---- timers ----

  private scheduleHashing(): void {
    this.hashTimer.arm();
  }

  /**
   * A timer message: carries each session's frontier over its stored chunks (one native call in
   * flight per session, the sessions in parallel). A failed call re-arms the timer.
   */
  async onHashTimer(): Promise<void> {
    await Promise.all(this.api.hashBacklog().map((uploadId) => this.api.hashFrontier(uploadId)));
    this.counters.flush();
  }

  private scheduleGarbage(): void {
    this.garbageTimer.arm();
  }

  onGarbageTimer(): void {
    if (!this.blobStore.collect(() => this.freeBudget())) this.scheduleGarbage();
    this.counters.flush();
  }

  private sweepPeriodS(): number {
    const quarter = Number(this.limits.uploadIdleTimeoutS / 4n);
    return Math.max(1, Math.min(MAX_SWEEP_PERIOD_S, quarter));
  }

  /** An interval, not a self-re-arming one-off timer: a sweep that traps cannot stop the next. */
  private scheduleSweep(): void {
    this.platform.setTimerInterval(this.sweepPeriodS(), () => this.onSweepTimer());
  }

  /** Expires idle uploads, prunes old closed session records, continues freeing. */
  onSweepTimer(): void {
    // Restarts the hashing and freeing chains if a trap left them lost (see TimerChain).
    if (this.api.hashWorkPending()) this.scheduleHashing();
    if (this.blobStore.hasGarbage()) this.scheduleGarbage();
    const now = this.platform.time();
    let records = 0;
    const more = () => records++ < SWEEP_MAX_RECORDS && this.platform.instructionCounter() < SWEEP_INSTRUCTION_LIMIT;
    let done = this.api.expire(now, more);
    if (done && now > CLOSED_SESSION_RETENTION_NS) {
      done = this.sessions.pruneClosed(now - CLOSED_SESSION_RETENTION_NS, more, (session) => this.api.pruned(session));
    }
    if (this.migration.pending()) this.migrationTimer.arm();
    if (this.server.workPending()) this.httpTimer.arm();
    if (!done) this.sweepTimer.arm();
    if (this.blobStore.hasGarbage()) this.blobStore.collect(() => this.freeBudget());
    this.counters.flush();
  }

  /** A slice of HTTP serving's background work: per-chunk digests, the backfill scan. */
  async onHttpTimer(): Promise<void> {
    if (!(await this.server.work())) this.httpTimer.arm();
    this.counters.flush();
  }

  /** A migration slice: a timer message (and the first slice in post_upgrade). */
  onMigrationTimer(): void {
    let records = 0;
    const more = () => records++ < MIGRATION_MAX_RECORDS && this.platform.instructionCounter() < SWEEP_INSTRUCTION_LIMIT;
    if (!this.migration.step(more)) this.migrationTimer.arm();
    this.counters.flush();
  }

  // ---- the service ----

  private mutate<T>(run: () => T): T {
    try {
      return run();
    } finally {
      this.counters.flush();
    }
  }

  begin(caller: Uint8Array, args: BeginInput): Result<SessionRecord> {
    return this.mutate(() => this.api.begin(caller, args));
  }

  /**
   * Stores the chunk (committed at the first await, whatever follows), then, if it is at the
   * frontier, hashes it before answering; `hashed` in the ack is the frontier after that.
   */
  async putChunk(caller: Uint8Array, uploadId: bigint, index: number, bytes: Uint8Array): Promise<Result<ChunkAckValue>> {
    const stored = this.mutate(() => this.api.putChunk(caller, uploadId, index, bytes));
    if ('Err' in stored || stored.Ok.hashed !== index) return stored;
    await this.api.hashFrontier(uploadId, index + 1, { index, bytes });
    const session = this.sessions.get(uploadId);
    if (session === undefined) return stored;
    if (session.hashed < this.sessions.contiguousEnd(session)) this.scheduleHashing();
    this.counters.flush();
    return ok({ received: stored.Ok.received, hashed: Math.max(stored.Ok.hashed, session.hashed) });
  }

  /**
   * Finishes, waiting here for the frontier when every chunk is stored and no other message is
   * hashing this upload; HashPending only when one is (the client retries) or a call failed.
   */
  async finish(caller: Uint8Array, uploadId: bigint, digest: Uint8Array | undefined): Promise<Result<BlobRecord>> {
    const first = this.mutate(() => this.api.finish(caller, uploadId, digest));
    if (!('Err' in first) || !('HashPending' in first.Err) || !this.api.canWaitForHash(uploadId)) return first;
    await this.api.hashFrontier(uploadId);
    return this.mutate(() => this.api.finish(caller, uploadId, digest));
  }

  abort(caller: Uint8Array, uploadId: bigint): Result<null> {
    return this.mutate(() => this.api.abort(caller, uploadId));
  }

  deleteAsset(caller: Uint8Array, assetId: string): Result<null> {
    return this.mutate(() => this.uploads.deleteAsset(caller, assetId, () => this.freeBudget()));
  }

  uploadStatus(caller: Uint8Array, uploadId: bigint): Result<SessionRecord> {
    return this.api.status(caller, uploadId);
  }

  myUploads(caller: Uint8Array): SessionRecord[] {
    return this.api.myUploads(caller);
  }

  blobInfo(caller: Uint8Array, blobId: bigint): Result<BlobRecord> {
    return this.uploads.blobInfo(caller, blobId);
  }

  readChunk(caller: Uint8Array, blobId: bigint, index: number): Result<Uint8Array> {
    return this.uploads.readChunk(caller, blobId, index);
  }

  getAsset(caller: Uint8Array, assetId: string): Result<AssetView> {
    return this.uploads.getAsset(caller, assetId);
  }

  listAssets(caller: Uint8Array, after: string | undefined, limit: number): AssetView[] {
    return this.uploads.listAssets(caller, after, limit);
  }

  listAssetsPage(caller: Uint8Array, after: string | undefined, limit: number): AssetPageView {
    return this.uploads.listAssetsPage(caller, after, limit);
  }

  setPublic(caller: Uint8Array, assetId: string, isPublic: boolean): Result<AssetView> {
    return this.mutate(() => this.uploads.setPublic(caller, assetId, isPublic));
  }

  /** `http_request`: a query; changes nothing. */
  httpRequest(request: HttpRequest): HttpResponse {
    return this.server.handle(request);
  }

  /**
   * `stable_memory_bytes` is a logical figure: the bytes of every key and value held in the
   * canister's stable maps (config excepted), kept exact as the maps change (kv.ts CountingStore).
   * It is NOT the size of the canister's stable memory: Azle 0.33's stable mode offers no API for
   * that (its System API bindings have no ic0.stable64_size), and the real size is larger — B-tree nodes, the memory
   * manager's buckets, and pages freed by removals, which stable memory never gives back.
   * `stored_bytes` is the chunk bytes alone (open uploads, blobs, and garbage not yet freed).
   */
  stats(): {
    openUploads: number;
    blobs: number;
    assets: number;
    storedBytes: bigint;
    stableMemoryBytes: bigint;
    upgradeInstructions: bigint | undefined;
  } {
    const counters = this.counters.snapshot;
    return {
      upgradeInstructions: this.upgradeInstructions(),
      openUploads: this.sessions.openCount(),
      blobs: this.uploads.blobCount(),
      assets: this.uploads.assetCount(),
      storedBytes: counters.storedBytes,
      stableMemoryBytes: counters.mapBytes
    };
  }
}
