// HTTP serving of the catalogue's public assets: the layer above assets/. It keeps the
// certification tree in step with the catalogue (told of each change through AssetListener),
// certifies an asset only once every variant's per-chunk digests are known, computes missing
// digests in budgeted timer slices, and answers `http_request` from the catalogue and the tree.
//
// Every change to an asset withdraws it from the tree at once (its URL answers the certified 404),
// then certifies it again: once every public variant's chunk digests are known (a blob finished
// before the native hash, or an asset public before serving existed, waits for them), its entries
// are staged — in the message of the change if they fit, else over timer messages — and attached
// in one step. A gateway never receives a response it cannot verify, and no message does work
// that grows with the size of an asset or the number of assets.
//
// The job of each asset waiting to be certified is its `pending` value:
//   empty                                   waiting for chunk digests
//   1 ‖ flags ‖ next entry (u32 BE) ‖ seed (32) ‖ root (32)   staging its entries
// and `served` keeps, per certified asset, the flags its responses were certified with: whether
// its owner was a controller then decides its headers, and controllers may change later.
import { fromUtf8, readU64Key, u64Key, utf8 } from '../encoding.js';
import type { KeyValueStore } from '../kv.js';
import { CONFIG_KEYS } from '../memory.js';
import type { AssetCatalogue, AssetListener } from '../assets/catalogue.js';
import type { BlobStore } from '../assets/blob_store.js';
import type { ChunkDigests, ChunkHasher } from '../assets/chunk_digests.js';
import type { AssetRecord } from '../model/asset_record.js';
import type { BlobRecord } from '../model/blob_record.js';
import { sha256 } from '../hash/sha256.js';
import { CertifiedHttp, type HttpRequest, type HttpResponse, type ServedVariant, type StagedLevel } from './asset_http.js';

/** What certification needs from the IC beyond the Platform. */
export interface CertificationPlatform {
  /** `ic0.certified_data_set`. */
  setCertifiedData(hash: Uint8Array): void;
  /** `ic0.data_certificate_copy` in a query; undefined elsewhere. */
  dataCertificate(): Uint8Array | undefined;
}

export interface AssetServerDeps {
  catalogue: AssetCatalogue;
  blobStore: BlobStore;
  digests: ChunkDigests;
  config: KeyValueStore;
  tree: KeyValueStore;
  /** asset id → its certification job: public assets not yet (re)certified. */
  pending: KeyValueStore;
  /** asset id → the flags its certified responses were made with. */
  served: KeyValueStore;
  certification: CertificationPlatform;
  isController(principal: Uint8Array): boolean;
  instructionCounter(): bigint;
  /** A chunk's own SHA-256 through the native method (a self-call). */
  chunkSha256: ChunkHasher;
  time(): bigint;
  /** Arms the timer chain that calls `work()`. */
  schedule(): void;
}

/** Background work stops this far below the 40 billion limit of a timer message. */
const WORK_INSTRUCTION_LIMIT = 30_000_000_000;
/**
 * The message that changes an asset (finish, set_public, …) stages its entries up to here: one
 * round's slice of a long message on the IC (2 billion, dfinity/ic's
 * `MAX_INSTRUCTIONS_PER_SLICE`), so it still completes in one round and a small asset is served
 * when it returns; a larger one goes on in timer messages.
 */
const CHANGE_INSTRUCTION_LIMIT = 2_000_000_000;
/**
 * Above what staging one entry costs: a response hash and a path through the staged level, all
 * with the canister's JavaScript SHA-256 (≈ 50 million measured for a 260-piece asset).
 */
const ENTRY_INSTRUCTIONS = 300_000_000;
/** Above what freeing one node of a withdrawn level costs (a few stable map operations). */
const GARBAGE_NODE_INSTRUCTIONS = 50_000_000;
/**
 * A timer's work awaits native hashing calls; one that has not finished after this long was cut
 * short (a trap in a callback), and the next timer takes over.
 */
const WORK_PRESUMED_LOST_NS = 600_000_000_000n;
/** Assets the backfill scan reads per slice, and how far back each slice starts (see backfill). */
const BACKFILL_SLICE = 200;
const BACKFILL_OVERLAP = 25;

/**
 * `/` serves the app's `index.html` when a controller uploaded it (README, "The browser app"):
 * certified as an asset of its own under the id "" (ids are never empty), staged with index.html.
 */
const ROOT_PATH = '';
const ROOT_DOCUMENT = 'index.html';
const assetAt = (assetId: string): string => (assetId === ROOT_PATH ? ROOT_DOCUMENT : assetId);

const STAGING = 1;
const OWNED_BY_CONTROLLER = 1;

/** A job that is staging: the flags it certifies with, the next entry, the level so far. */
interface StagingJob {
  flags: number;
  next: number;
  level: StagedLevel;
}

function encodeJob(job: StagingJob): Uint8Array {
  const out = new Uint8Array(6 + 64);
  out[0] = STAGING;
  out[1] = job.flags;
  new DataView(out.buffer).setUint32(2, job.next);
  out.set(job.level.seed, 6);
  out.set(job.level.root!, 38);
  return out;
}

/** The staging job in a pending value; undefined while the asset waits for digests. */
function decodeJob(bytes: Uint8Array | undefined): StagingJob | undefined {
  if (bytes === undefined || bytes.length !== 70 || bytes[0] !== STAGING) return undefined;
  const next = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(2);
  return { flags: bytes[1], next, level: { seed: bytes.slice(6, 38), root: bytes.slice(38, 70) } };
}

export class AssetServer implements AssetListener {
  readonly http: CertifiedHttp;

  /** When the running `work()` began, while one runs (it awaits hashing calls). */
  private workingSince: bigint | undefined;

  constructor(private readonly deps: AssetServerDeps) {
    this.http = new CertifiedHttp({
      sha256,
      store: deps.tree,
      setCertifiedData: (hash) => deps.certification.setCertifiedData(hash),
      dataCertificate: () => deps.certification.dataCertificate()
    });
    deps.catalogue.listen(this);
  }

  /** init: nothing is public yet, so nothing to backfill. */
  init(): void {
    this.deps.config.insert(CONFIG_KEYS.httpReady, Uint8Array.of(1));
    this.http.restore();
  }

  /**
   * post_upgrade: sets the certified data from the stored tree — fixed work, whatever the
   * number of assets. The first upgrade onto serving starts the backfill scan (in timers).
   */
  postUpgrade(): void {
    if (this.deps.config.get(CONFIG_KEYS.httpReady) === undefined) {
      this.deps.config.insert(CONFIG_KEYS.httpReady, Uint8Array.of(1));
      this.deps.config.insert(CONFIG_KEYS.httpBackfill, u64Key(0n));
    }
    this.http.restore();
    if (this.workPending()) this.deps.schedule();
  }

  workPending(): boolean {
    return this.deps.pending.len() > 0 || this.deps.config.get(CONFIG_KEYS.httpBackfill) !== undefined || this.http.hasGarbage();
  }

  /** Whether `assetId` is public but not yet served (its digests or its certification are under way). */
  certifying(assetId: string): boolean {
    return this.deps.pending.containsKey(utf8(assetId));
  }

  /** AssetListener: withdraws the asset from HTTP at once and certifies it again as it now is. */
  assetChanged(assetId: string): void {
    this.recertify(assetId);
    if (assetId === ROOT_DOCUMENT) this.recertify(ROOT_PATH);
  }

  private recertify(assetId: string): void {
    const key = utf8(assetId);
    const job = decodeJob(this.deps.pending.get(key));
    if (job) this.http.discard(job.level);
    this.deps.pending.remove(key);
    this.deps.served.remove(key);
    if (this.http.withdraw(assetId) && this.deps.catalogue.asset(assetAt(assetId))?.public) {
      this.deps.pending.insert(key, new Uint8Array(0));
      this.advance(assetId, CHANGE_INSTRUCTION_LIMIT);
    }
    if (this.workPending()) this.deps.schedule();
  }

  /**
   * Takes the asset's job as far as `limit` allows; answers true when the asset is served or
   * needs nothing more, false while digests are missing (see `fillDigests`) or entries remain.
   */
  private advance(assetId: string, limit: number): boolean {
    const key = utf8(assetId);
    const asset = this.deps.catalogue.asset(assetAt(assetId));
    if (!asset?.public) {
      this.deps.pending.remove(key);
      return true;
    }
    let job = decodeJob(this.deps.pending.get(key));
    if (!job) {
      for (const [, blobId] of asset.variants) {
        const blob = this.deps.catalogue.blob(blobId);
        if (blob !== undefined && !this.deps.digests.complete(blob)) return false;
      }
      const flags = this.deps.isController(asset.owner) ? OWNED_BY_CONTROLLER : 0;
      // `/` serves index.html only as the app: a controller's upload.
      if (assetId === ROOT_PATH && flags === 0) {
        this.deps.pending.remove(key);
        return true;
      }
      job = { flags, next: 0, level: this.http.newStagedLevel() };
    }
    const variants = this.servedVariants(asset, job.flags);
    const count = this.http.entryCount(variants);
    const used = () => Number(this.deps.instructionCounter());
    // Every call stages at least one entry, so every message makes progress.
    let staged = 0;
    while (job.next < count) {
      if (staged > 0 && used() + ENTRY_INSTRUCTIONS > limit) {
        this.deps.pending.insert(key, encodeJob(job));
        return false;
      }
      job = { ...job, level: this.http.stage(job.level, variants, job.next), next: job.next + 1 };
      staged++;
    }
    this.http.publish(assetId, job.level);
    this.deps.served.insert(key, Uint8Array.of(job.flags));
    this.deps.pending.remove(key);
    return true;
  }

  /** The asset's public variants that exist, described with `flags`. */
  private servedVariants(asset: AssetRecord, flags: number): ServedVariant[] {
    const out: ServedVariant[] = [];
    for (const [, blobId] of asset.variants) {
      const blob = this.deps.catalogue.blob(blobId);
      if (blob !== undefined) out.push(this.served(blob, flags));
    }
    return out;
  }

  private served(blob: BlobRecord, flags: number): ServedVariant {
    const { digests, blobStore } = this.deps;
    return {
      variant: blob.variant,
      contentType: blob.contentType,
      fileName: blob.fileName,
      size: Number(blob.size),
      sha256: blob.sha256,
      chunkSize: blob.chunkSize,
      chunkCount: blob.chunkCount,
      // Only asked for blobs whose digests are complete.
      chunkSha256: (index) => digests.get(blob, index) ?? new Uint8Array(32),
      ownedByController: (flags & OWNED_BY_CONTROLLER) !== 0,
      readChunk: (index) => blobStore.get(blob.sessionKey, index) ?? new Uint8Array(0)
    };
  }

  /** `http_request`. */
  handle(request: HttpRequest): HttpResponse {
    return this.http.handle(request, (assetId, variant) => {
      const asset = this.deps.catalogue.asset(assetAt(assetId));
      if (!asset?.public) return undefined;
      const flags = this.deps.served.get(utf8(assetId));
      if (flags === undefined) return undefined;
      const slot = asset.variants.find(([name]) => name === variant);
      const blob = slot && this.deps.catalogue.blob(slot[1]);
      return blob && this.served(blob, flags[0]);
    });
  }

  /**
   * A timer's work: the backfill scan, the pending assets (missing digests through native calls,
   * then staging), then freeing withdrawn levels. Answers true when all is done.
   */
  async work(): Promise<boolean> {
    const now = this.deps.time();
    // One at a time: the running one takes in whatever is queued while it awaits.
    if (this.workingSince !== undefined && now - this.workingSince < WORK_PRESUMED_LOST_NS) return true;
    this.workingSince = now;
    try {
      const used = () => Number(this.deps.instructionCounter());
      this.backfill();
      while (this.deps.pending.len() > 0) {
        const [key] = this.deps.pending.items(0, 1)[0];
        const assetId = fromUtf8(key);
        if (!(await this.fillDigests(assetId))) return false;
        if (!this.advance(assetId, WORK_INSTRUCTION_LIMIT)) return false;
      }
      this.http.collectGarbage(() => used() + GARBAGE_NODE_INSTRUCTIONS < WORK_INSTRUCTION_LIMIT);
      return !this.workPending();
    } finally {
      this.workingSince = undefined;
    }
  }

  /** Computes the missing chunk digests of the asset's variants; answers false if some are still missing. */
  private async fillDigests(assetId: string): Promise<boolean> {
    const asset = this.deps.catalogue.asset(assetAt(assetId));
    if (!asset?.public || decodeJob(this.deps.pending.get(utf8(assetId)))) return true;
    for (const [, blobId] of asset.variants) {
      const blob = this.deps.catalogue.blob(blobId);
      if (blob === undefined || this.deps.digests.complete(blob)) continue;
      const alive = () => this.deps.catalogue.blob(blobId) !== undefined;
      if (!(await this.deps.digests.fill(blob, this.deps.chunkSha256, alive))) return false;
    }
    return true;
  }

  /**
   * Queues every public asset once, a slice of the assets map per call. The map is read by
   * position (the store has no key ranges); each slice starts a little before where the last
   * ended, so assets deleted meanwhile shift nothing past the scan (queuing twice is harmless).
   */
  private backfill(): void {
    const cursor = this.deps.config.get(CONFIG_KEYS.httpBackfill);
    if (cursor === undefined) return;
    const from = Number(readU64Key(cursor));
    const start = Math.max(0, from - BACKFILL_OVERLAP);
    const entries = this.deps.catalogue.assetEntries(start, BACKFILL_SLICE);
    for (const asset of entries) {
      const key = utf8(asset.assetId);
      if (asset.public && !this.deps.pending.containsKey(key)) this.deps.pending.insert(key, new Uint8Array(0));
    }
    if (entries.length < BACKFILL_SLICE) this.deps.config.remove(CONFIG_KEYS.httpBackfill);
    else this.deps.config.insert(CONFIG_KEYS.httpBackfill, u64Key(BigInt(start + entries.length)));
  }
}
