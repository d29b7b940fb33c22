// Blobs and assets: committing a finished upload into its asset's variant (replacing and
// freeing the previous blob atomically), reading, listing, deleting. Access: a blob's or
// asset's owner, or a controller (DESIGN.md, "Rules behind the contract").
import { bytesEqual, u64Key, utf8 } from '../encoding.js';
import { errors, ok, type Result } from '../errors.js';
import type { KeyValueStore } from '../kv.js';
import { principalKey } from '../platform.js';
import type { BlobStore, FreeBudget } from './blob_store.js';
import { decodeAsset, decodeBlob, encodeAsset, encodeBlob } from './codec.js';
import type { AssetRecord, BlobRecord } from './types.js';

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

function insertSorted(list: string[], value: string): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo] !== value) list.splice(lo, 0, value);
}

function firstAfter(list: string[], after: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid] <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class UploadService {
  /** owner → the owner's asset ids, sorted: list_assets pages through it without a scan. */
  private readonly assetsByOwner = new Map<string, string[]>();

  constructor(
    private readonly blobs: KeyValueStore,
    private readonly assets: KeyValueStore,
    private readonly blobStore: BlobStore,
    private readonly access: AccessCheck
  ) {}

  load(): void {
    this.assetsByOwner.clear();
    const total = this.assets.len();
    for (let start = 0; start < total; start += 256) {
      for (const [, value] of this.assets.items(start, 256)) {
        const asset = decodeAsset(value);
        this.ownerList(asset.owner).push(asset.assetId);
      }
    }
    for (const list of this.assetsByOwner.values()) list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private ownerList(owner: Uint8Array): string[] {
    const key = principalKey(owner);
    let list = this.assetsByOwner.get(key);
    if (list === undefined) this.assetsByOwner.set(key, (list = []));
    return list;
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
    if (existing === undefined) insertSorted(this.ownerList(asset.owner), asset.assetId);
    if (replaced !== undefined && replaced !== blob.blobId) this.freeBlob(replaced, budget);
  }

  private freeBlob(blobId: bigint, budget: FreeBudget): void {
    const bytes = this.blobs.remove(u64Key(blobId));
    if (bytes === undefined) return;
    const blob = decodeBlob(bytes);
    this.blobStore.free(blob.sessionKey, blob.chunkCount, budget);
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
    const list = this.assetsByOwner.get(principalKey(caller)) ?? [];
    const start = after === undefined ? 0 : firstAfter(list, after);
    const end = Math.min(list.length, start + Math.min(limit, LIST_ASSETS_MAX));
    const out: AssetView[] = [];
    let replyBytes = 0;
    let i = start;
    for (; i < end; i++) {
      if (out.length > 0 && this.access.instructionCounter() >= LIST_INSTRUCTION_BUDGET) break;
      const view = this.viewOf(list[i]);
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
    return { assets: out, next: last !== undefined && i < list.length ? last : undefined };
  }

  /** Makes an asset public or private: its owner or a controller. */
  setPublic(caller: Uint8Array, assetId: string, isPublic: boolean): Result<AssetView> {
    const bytes = this.assets.get(utf8(assetId));
    if (bytes === undefined) return { Err: errors.assetNotFound(assetId) };
    const asset = decodeAsset(bytes);
    if (!this.mayRead(asset.owner, caller)) return { Err: errors.notAssetOwner(assetId) };
    if (asset.public !== isPublic) {
      asset.public = isPublic;
      const encoded = encodeAsset(asset);
      this.assets.insert(utf8(assetId), encoded);
      return ok(this.view(asset, encoded.length));
    }
    return ok(this.view(asset, bytes.length));
  }

  deleteAsset(caller: Uint8Array, assetId: string, budget: FreeBudget): Result<null> {
    const asset = this.asset(assetId);
    if (asset === undefined) return { Err: errors.assetNotFound(assetId) };
    if (!this.mayRead(asset.owner, caller)) return { Err: errors.notAssetOwner(assetId) };
    this.assets.remove(utf8(assetId));
    const list = this.assetsByOwner.get(principalKey(asset.owner));
    if (list !== undefined) {
      const at = list.indexOf(assetId);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0) this.assetsByOwner.delete(principalKey(asset.owner));
    }
    for (const [, blobId] of asset.variants) this.freeBlob(blobId, budget);
    return ok(null);
  }
}
