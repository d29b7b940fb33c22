// Blobs and assets: committing a finished upload into its asset's variant (replacing and
// freeing the previous blob atomically), reading, listing, deleting. Access: a blob's or
// asset's owner, or a controller (README, "The canister's interface").
import { bytesEqual } from '../../shared/bytes.js';
import { u64Key, utf8 } from '../encoding.js';
import { errors, ok, type Result } from '../errors.js';
import type { KeyValueStore } from '../kv.js';
import { OwnerAssetIndex } from './owner_index.js';
import { OwnerTotalsStore } from './owners.js';
import { ownerPrefix } from '../keys.js';
import type { BlobStore, FreeBudget } from './blob_store.js';
import { decodeAsset, encodeAsset, type AssetRecord } from '../model/asset_record.js';
import { decodeBlob, encodeBlob, type BlobRecord } from '../model/blob_record.js';

/** list_assets answers at most this many per call, whatever the caller asks. */
export const LIST_ASSETS_MAX = 100;
/**
 * A list_assets page stops growing once the query has used this many instructions (the limit
 * is 5 billion) ...
 */
export const LIST_INSTRUCTION_BUDGET = 3_000_000_000n;
/**
 * ... or once what it has used plus the estimated cost of Azle's Candid encoding of the reply,
 * which runs after we return, would pass this. Measured on the replica (62 assets × 32 variants,
 * maximum-length texts): reading one such asset ≈ 0.77 billion instructions, encoding its 55 KB
 * ≈ 0.85 billion, i.e. ≈ 15,400 per reply byte; the estimate below has a margin.
 */
export const LIST_TOTAL_INSTRUCTION_BUDGET = 4_000_000_000;
export const ENCODE_INSTRUCTIONS_PER_REPLY_BYTE = 18_000;
/**
 * ... or once the reply's estimated Candid size reaches this many bytes (the IC's limit is 3 MiB).
 * The first remaining asset is always included (≤ 32 variants: ≈ 1.7 billion instructions and
 * 55 KB at most), so a page is never empty unless no asset is left: callers page with `after`
 * and stop at an empty page.
 */
export const LIST_REPLY_BUDGET_BYTES = 1_500_000;
/** Per-entry Candid framing not covered by the stored records' lengths (see AssetView.replyBytes). */
const ASSET_FRAMING_BYTES = 48;
const VARIANT_FRAMING_BYTES = 24;

export interface AccessCheck {
  isController(principal: Uint8Array): boolean;
  /** performanceCounter(0): instructions used so far by the current message. */
  instructionCounter(): bigint;
}

/** What a change to the catalogue needs from the message it runs in. */
export interface MessageEffects {
  /** Whether freeing chunks may go on in this message (the rest is left to a timer). */
  freeBudget: FreeBudget;
  /** Writes the counters: each change ends with it. */
  flush: () => void;
}

export interface AssetView {
  asset: AssetRecord;
  blobs: BlobRecord[];
  /**
   * An upper estimate of the view's size in a Candid reply: the stored records' lengths (each
   * holds every text and principal the BlobInfo carries, plus a 32-byte session key the reply
   * does not) and some framing.
   */
  replyBytes: number;
}

export interface AssetPageView {
  assets: AssetView[];
  /** Absent exactly when no asset of the caller's remains after this page. */
  next: string | undefined;
}

export interface CatalogueStores {
  blobs: KeyValueStore;
  assets: KeyValueStore;
  /** Each owner's asset ids in order (OwnerAssetIndex). */
  ownerAssets: KeyValueStore;
  /** Each owner's asset count and bytes (OwnerTotalsStore). */
  ownerTotals: KeyValueStore;
}

/**
 * Told after an asset's served content may have changed (a variant finished into it, its
 * visibility set, the asset deleted), so a layer above (HTTP serving) can follow without this
 * layer knowing it.
 */
export interface AssetListener {
  assetChanged(assetId: string): void;
}

export class AssetCatalogue {
  private listener: AssetListener | undefined;
  private readonly blobs: KeyValueStore;
  private readonly assets: KeyValueStore;
  private readonly byOwner: OwnerAssetIndex;
  readonly totals: OwnerTotalsStore;

  constructor(
    stores: CatalogueStores,
    private readonly blobStore: BlobStore,
    private readonly access: AccessCheck,
    seed: number,
    private readonly effects: MessageEffects
  ) {
    this.blobs = stores.blobs;
    this.assets = stores.assets;
    this.byOwner = new OwnerAssetIndex(stores.ownerAssets, seed);
    this.totals = new OwnerTotalsStore(stores.ownerTotals);
  }

  listen(listener: AssetListener): void {
    this.listener = listener;
  }


  private changed(assetId: string): void {
    this.listener?.assetChanged(assetId);
  }

  /**
   * Enters a stored asset and one of its blobs into the owner indexes (idempotent per blob id
   * only through `counted`): used while migrating from the layout without indexes.
   */
  indexExisting(blob: BlobRecord): void {
    const asset = this.asset(blob.assetId);
    if (asset === undefined || !asset.variants.some(([, id]) => id === blob.blobId)) return;
    const added = this.byOwner.insert(ownerPrefix(asset.owner), asset.assetId);
    this.totals.add(asset.owner, added ? 1n : 0n, blob.size);
  }

  private mayRead(owner: Uint8Array, caller: Uint8Array): boolean {
    return bytesEqual(owner, caller) || this.access.isController(caller);
  }

  blobCount(): number {
    return this.blobs.len();
  }

  assetCount(): number {
    return this.assets.len();
  }

  asset(assetId: string): AssetRecord | undefined {
    const bytes = this.assets.get(utf8(assetId));
    return bytes === undefined ? undefined : decodeAsset(bytes);
  }

  /** Assets by position in id order, from `start`, at most `count` (for scans in slices). */
  assetEntries(start: number, count: number): AssetRecord[] {
    return this.assets.items(start, count).map(([, bytes]) => decodeAsset(bytes));
  }

  blob(blobId: bigint): BlobRecord | undefined {
    const bytes = this.blobs.get(u64Key(blobId));
    return bytes === undefined ? undefined : decodeBlob(bytes);
  }

  /**
   * Makes a finished upload's blob the asset's variant, creating the asset if needed, and frees
   * the blob it replaces. The caller has checked that the asset is the owner's or unclaimed.
   */
  commit(blob: BlobRecord, makePublic: boolean | undefined, budget: FreeBudget): void {
    this.blobs.insert(u64Key(blob.blobId), encodeBlob(blob));
    const existing = this.asset(blob.assetId);
    const asset: AssetRecord = existing ?? { assetId: blob.assetId, owner: blob.owner, variants: [], public: false };
    if (makePublic !== undefined) asset.public = makePublic;
    let replaced: bigint | undefined;
    const slot = asset.variants.findIndex(([name]) => name === blob.variant);
    if (slot >= 0) {
      replaced = asset.variants[slot][1];
      asset.variants[slot] = [blob.variant, blob.blobId];
    } else {
      asset.variants.push([blob.variant, blob.blobId]);
      asset.variants.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    }
    this.assets.insert(utf8(asset.assetId), encodeAsset(asset));
    if (existing === undefined) this.byOwner.insert(ownerPrefix(asset.owner), asset.assetId);
    let freed = 0n;
    if (replaced !== undefined && replaced !== blob.blobId) freed = this.freeBlob(replaced, budget);
    this.totals.add(asset.owner, existing === undefined ? 1n : 0n, blob.size - freed);
    this.changed(asset.assetId);
  }

  /** Answers the freed blob's size (0 if it was gone). */
  private freeBlob(blobId: bigint, budget: FreeBudget): bigint {
    const bytes = this.blobs.remove(u64Key(blobId));
    if (bytes === undefined) return 0n;
    const blob = decodeBlob(bytes);
    this.blobStore.free(blob.sessionKey, blob.chunkCount, budget);
    return blob.size;
  }

  blobInfo(caller: Uint8Array, blobId: bigint): Result<BlobRecord> {
    const blob = this.blob(blobId);
    if (blob === undefined) return { Err: errors.blobNotFound(blobId) };
    if (!this.mayRead(blob.owner, caller)) return { Err: errors.notBlobOwner(blobId) };
    return ok(blob);
  }

  readChunk(caller: Uint8Array, blobId: bigint, index: number): Result<Uint8Array> {
    const found = this.blobInfo(caller, blobId);
    if ('Err' in found) return found;
    const blob = found.Ok;
    if (index >= blob.chunkCount) return { Err: errors.chunkOutOfRange(index, blob.chunkCount) };
    const bytes = this.blobStore.get(blob.sessionKey, index);
    // A blob record without its chunks would be a bug; answer NotFound rather than trap.
    if (bytes === undefined) return { Err: errors.blobNotFound(blobId) };
    return ok(bytes);
  }

  private view(asset: AssetRecord, recordBytes: number): AssetView {
    const blobs: BlobRecord[] = [];
    let replyBytes = ASSET_FRAMING_BYTES + recordBytes;
    for (const [, blobId] of asset.variants) {
      const bytes = this.blobs.get(u64Key(blobId));
      if (bytes === undefined) continue;
      blobs.push(decodeBlob(bytes));
      replyBytes += VARIANT_FRAMING_BYTES + bytes.length;
    }
    return { asset, blobs, replyBytes };
  }

  private viewOf(assetId: string): AssetView | undefined {
    const bytes = this.assets.get(utf8(assetId));
    return bytes === undefined ? undefined : this.view(decodeAsset(bytes), bytes.length);
  }

  getAsset(caller: Uint8Array, assetId: string): Result<AssetView> {
    const view = this.viewOf(assetId);
    if (view === undefined) return { Err: errors.assetNotFound(assetId) };
    if (!this.mayRead(view.asset.owner, caller)) return { Err: errors.notAssetOwner(assetId) };
    return ok(view);
  }

  /**
   * The caller's own assets with ids after `after`: at most `limit` (and LIST_ASSETS_MAX), and
   * fewer when the page reaches one of the budgets above — a query that
   * trapped on the IC's limits would answer nothing at all. A short page is not the end; an empty
   * one is (the first remaining asset is always included).
   */
  listAssets(caller: Uint8Array, after: string | undefined, limit: number): AssetView[] {
    return this.listAssetsPage(caller, after, limit).assets;
  }

  /**
   * A page as listAssets answers it, with `next` (the last asset id listed) exactly when more of
   * the caller's assets remain after it.
   */
  listAssetsPage(caller: Uint8Array, after: string | undefined, limit: number): AssetPageView {
    const ids = this.byOwner.after(ownerPrefix(caller), after);
    const max = Math.min(limit, LIST_ASSETS_MAX);
    const out: AssetView[] = [];
    let replyBytes = 0;
    let pending = ids.next();
    for (; !pending.done && out.length < max; pending = ids.next()) {
      if (out.length > 0 && this.access.instructionCounter() >= LIST_INSTRUCTION_BUDGET) break;
      const view = this.viewOf(pending.value);
      if (view === undefined) continue;
      if (out.length > 0) {
        const total = replyBytes + view.replyBytes;
        const encoding = total * ENCODE_INSTRUCTIONS_PER_REPLY_BYTE;
        if (total > LIST_REPLY_BUDGET_BYTES) break;
        if (Number(this.access.instructionCounter()) + encoding > LIST_TOTAL_INSTRUCTION_BUDGET) break;
      }
      replyBytes += view.replyBytes;
      out.push(view);
    }
    const last = out.at(-1)?.asset.assetId;
    // `pending` is the first id not listed (the loop stopped before taking it), or done.
    return { assets: out, next: last !== undefined && !pending.done ? last : undefined };
  }

  /** Makes an asset public or private: its owner or a controller. */
  setPublic(caller: Uint8Array, assetId: string, isPublic: boolean): Result<AssetView> {
    try {
      return this.changeVisibility(caller, assetId, isPublic);
    } finally {
      this.effects.flush();
    }
  }

  private changeVisibility(caller: Uint8Array, assetId: string, isPublic: boolean): Result<AssetView> {
    const bytes = this.assets.get(utf8(assetId));
    if (bytes === undefined) return { Err: errors.assetNotFound(assetId) };
    const asset = decodeAsset(bytes);
    if (!this.mayRead(asset.owner, caller)) return { Err: errors.notAssetOwner(assetId) };
    if (asset.public !== isPublic) {
      asset.public = isPublic;
      const encoded = encodeAsset(asset);
      this.assets.insert(utf8(assetId), encoded);
      this.changed(assetId);
      return ok(this.view(asset, encoded.length));
    }
    return ok(this.view(asset, bytes.length));
  }

  /** Removes an asset and frees its blobs: its owner or a controller. */
  deleteAsset(caller: Uint8Array, assetId: string): Result<null> {
    try {
      return this.remove(caller, assetId);
    } finally {
      this.effects.flush();
    }
  }

  private remove(caller: Uint8Array, assetId: string): Result<null> {
    const asset = this.asset(assetId);
    if (asset === undefined) return { Err: errors.assetNotFound(assetId) };
    if (!this.mayRead(asset.owner, caller)) return { Err: errors.notAssetOwner(assetId) };
    this.assets.remove(utf8(assetId));
    this.byOwner.remove(ownerPrefix(asset.owner), assetId);
    let freed = 0n;
    for (const [, blobId] of asset.variants) freed += this.freeBlob(blobId, this.effects.freeBudget);
    this.totals.add(asset.owner, -1n, -freed);
    this.changed(assetId);
    return ok(null);
  }
}
