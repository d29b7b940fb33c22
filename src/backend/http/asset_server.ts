// HTTP serving of the catalogue's public assets: the layer above assets/. It keeps the
// certification tree in step with the catalogue (told of each change through AssetListener),
// certifies an asset only once every variant's per-chunk digests are known, computes missing
// digests in budgeted timer slices, and answers `http_request` from the catalogue and the tree.
//
// Until an asset's digests are all known (a multi-chunk blob just finished, or an asset public
// before serving existed), the variants still hashing are absent from the tree, so their URL
// answers the certified 404: a gateway never receives a response it cannot verify.
import { readU64Key, u64Key, utf8 } from '../encoding.js';
import type { KeyValueStore } from '../kv.js';
import { CONFIG_KEYS } from '../memory.js';
import type { AssetCatalogue, AssetListener } from '../assets/catalogue.js';
import type { BlobStore } from '../assets/blob_store.js';
import type { ChunkDigests, HashAllowance } from '../assets/chunk_digests.js';
import type { AssetRecord, BlobRecord } from '../model/types.js';
import { sha256 } from '../hash/sha256.js';
import { CertifiedHttp, type HttpRequest, type HttpResponse, type ServedVariant } from './asset_http.js';

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
  /** asset id → nothing: public assets with digests still to compute. */
  pending: KeyValueStore;
  certification: CertificationPlatform;
  isController(principal: Uint8Array): boolean;
  instructionCounter(): bigint;
  /** Arms the timer chain that calls `work()`. */
  schedule(): void;
}

/** Background work stops this far below the 40 billion limit of a timer message. */
const WORK_INSTRUCTION_LIMIT = 30_000_000_000;
/** Above what the canister's JavaScript SHA-256 costs per byte (≈ 8,650). */
const HASH_INSTRUCTIONS_PER_BYTE = 12_000;
/** Below this, a slice may still hash one whole chunk whatever the estimate says. */
const FORCED_HASH_CEILING = 10_000_000_000;
/** Assets the backfill scan reads per slice, and how far back each slice starts (see backfill). */
const BACKFILL_SLICE = 200;
const BACKFILL_OVERLAP = 25;

export class AssetServer implements AssetListener {
  readonly http: CertifiedHttp;

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
    return this.deps.pending.len() > 0 || this.deps.config.get(CONFIG_KEYS.httpBackfill) !== undefined;
  }

  /** AssetListener: re-certifies the asset from what the catalogue now holds. */
  assetChanged(assetId: string): void {
    this.certify(assetId);
  }

  /**
   * Puts in the tree the asset's public variants whose digests are complete (none if private
   * or gone) and queues it if some are still missing. Answers true when nothing is missing.
   */
  private certify(assetId: string): boolean {
    const asset = this.deps.catalogue.asset(assetId);
    const served: ServedVariant[] = [];
    let missing = false;
    if (asset?.public) {
      for (const [, blobId] of asset.variants) {
        const blob = this.deps.catalogue.blob(blobId);
        if (blob === undefined) continue;
        if (this.deps.digests.complete(blob)) served.push(this.served(asset, blob));
        else missing = true;
      }
    }
    this.http.setAsset(assetId, served);
    if (missing) {
      this.deps.pending.insert(utf8(assetId), new Uint8Array(0));
      this.deps.schedule();
    } else this.deps.pending.remove(utf8(assetId));
    return !missing;
  }

  private served(asset: AssetRecord, blob: BlobRecord): ServedVariant {
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
      ownedByController: this.deps.isController(asset.owner),
      readChunk: (index) => blobStore.get(blob.sessionKey, index) ?? new Uint8Array(0)
    };
  }

  /** `http_request`. */
  handle(request: HttpRequest): HttpResponse {
    return this.http.handle(request, (assetId, variant) => {
      const asset = this.deps.catalogue.asset(assetId);
      if (!asset?.public) return undefined;
      const slot = asset.variants.find(([name]) => name === variant);
      const blob = slot && this.deps.catalogue.blob(slot[1]);
      return blob && this.served(asset, blob);
    });
  }

  /** A timer slice: the backfill scan, then digests of pending assets. Answers true when all is done. */
  work(): boolean {
    // The first chunk of a slice is allowed whatever its estimate while the slice is young (one
    // chunk of at most 2 MB costs ≈ 17 billion, under an update's 40 billion), so every slice
    // makes progress; later ones only within the budget.
    let hashedOne = false;
    const used = () => Number(this.deps.instructionCounter());
    const more: HashAllowance = (bytes) => {
      const allowed = used() + bytes * HASH_INSTRUCTIONS_PER_BYTE < WORK_INSTRUCTION_LIMIT || (!hashedOne && used() < FORCED_HASH_CEILING);
      if (allowed) hashedOne = true;
      return allowed;
    };
    this.backfill();
    while (this.deps.pending.len() > 0) {
      const [key] = this.deps.pending.items(0, 1)[0];
      const assetId = new TextDecoder().decode(key);
      const asset = this.deps.catalogue.asset(assetId);
      let complete = true;
      if (asset?.public) {
        for (const [, blobId] of asset.variants) {
          const blob = this.deps.catalogue.blob(blobId);
          if (blob !== undefined && !this.deps.digests.fill(blob, more)) complete = false;
          if (!complete) break;
        }
      }
      if (!complete) return false;
      this.certify(assetId);
      if (used() >= FORCED_HASH_CEILING) return !this.workPending();
    }
    return !this.workPending();
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
    for (const asset of entries) if (asset.public) this.deps.pending.insert(utf8(asset.assetId), new Uint8Array(0));
    if (entries.length < BACKFILL_SLICE) this.deps.config.remove(CONFIG_KEYS.httpBackfill);
    else this.deps.config.insert(CONFIG_KEYS.httpBackfill, u64Key(BigInt(start + entries.length)));
  }
}
