// The upload API bridged onto the generic sessions (DESIGN.md, "Components"): upload metadata,
// the rolling hash, finish into a blob. Every method validates first and changes state only
// once nothing can fail, so an Err leaves everything as it was (except hashing progress).
import { assertBeginArgs, assertChunk, assertDigest, type BeginInput } from '../assert.js';
import { bytesEqual, readU64Key, u64Key } from '../encoding.js';
import type { KeyValueStore } from '../kv.js';
import { errors, MAX_MISSING_LISTED, ok, type Result, type UploadError } from '../errors.js';
import { ownerPrefix, sessionKey } from '../keys.js';
import { isAnonymous, type Platform } from '../platform.js';
import type { CounterState } from '../counters.js';
import type { BlobStore, FreeBudget } from '../assets/blob_store.js';
import type { AssetCatalogue } from '../assets/catalogue.js';
import { MAX_VARIANTS_PER_ASSET, type BlobRecord, type Limits, type SessionRecord } from '../model/types.js';
import type { ChunkSource, RollingHashes } from '../session/hashing.js';
import { chunkCountOf, type SessionService } from '../session/service.js';

export interface CompatDeps {
  sessions: SessionService;
  hashes: RollingHashes;
  blobStore: BlobStore;
  uploads: AssetCatalogue;
  counters: CounterState;
  platform: Platform;
  limits: () => Limits;
  freeBudget: FreeBudget;
  /** caller prefix ‖ idempotency key → upload id. */
  idempotency: KeyValueStore;
  /** Arms the timer that carries hashing on in later messages. */
  scheduleHashing: () => void;
}

export interface ChunkAckValue {
  received: number;
  hashed: number;
}

const NS_PER_S = 1_000_000_000n;
/** my_uploads lists open uploads and then recent closed ones, this many in all at most... */
export const MY_UPLOADS_MAX = 100;
/**
 * ... and only while the `received` indexes of the records listed stay under this. Bytes are not
 * the limit (100,000 indexes are 400 KB) but instructions: `received` goes out as a Uint32Array,
 * which Azle's Candid encodes at ≈ 24,000 instructions an index (measured on the replica; a plain
 * array costs ≈ 300,000), so 100,000 indexes are ≈ 2.4 billion of a query's 5 billion. A record is
 * listed whole or skipped; `upload_status` always answers for one upload (65,536 indexes at most).
 */
export const MY_UPLOADS_MAX_RECEIVED_INDEXES = 100_000;

export class UploadSessions {
  constructor(private readonly d: CompatDeps) {}

  private timeoutNs(): bigint {
    return this.d.limits().uploadIdleTimeoutS * NS_PER_S;
  }

  /** Reads back stored chunks, except the one the current message carries. */
  private source(carried?: { index: number; bytes: Uint8Array }): ChunkSource {
    return {
      chunk: (session, index) => {
        if (carried !== undefined && carried.index === index) return carried.bytes;
        const bytes = this.d.blobStore.get(session.sessionKey, index);
        if (bytes === undefined) {
          throw new Error(`upload ${session.uploadId}: chunk ${index} is marked received but not stored`);
        }
        return bytes;
      }
    };
  }

  /** An owner's open session, or the error to answer. */
  private owned(caller: Uint8Array, uploadId: bigint): Result<SessionRecord> {
    const session = this.d.sessions.get(uploadId);
    if (session === undefined) return { Err: errors.uploadNotFound(uploadId) };
    if (!bytesEqual(session.owner, caller)) return { Err: errors.notUploadOwner(uploadId) };
    return ok(session);
  }

  /** Whether finishing into this asset's variant is allowed for the caller: owner and room. */
  private assetRefusal(caller: Uint8Array, assetId: string, variant: string): UploadError | undefined {
    const asset = this.d.uploads.asset(assetId);
    if (asset === undefined) return undefined;
    if (!bytesEqual(asset.owner, caller)) return errors.notAssetOwner(assetId);
    const isNew = !asset.variants.some(([name]) => name === variant);
    if (isNew && asset.variants.length >= MAX_VARIANTS_PER_ASSET) return errors.variantsLimit(assetId, MAX_VARIANTS_PER_ASSET);
    return undefined;
  }

  private idempotencyKey(caller: Uint8Array, key: Uint8Array): Uint8Array {
    const prefix = ownerPrefix(caller);
    const out = new Uint8Array(prefix.length + key.length);
    out.set(prefix);
    out.set(key, prefix.length);
    return out;
  }

  /** A begin retried with a key already used: the same session, or the error to answer. */
  private retriedBegin(caller: Uint8Array, args: BeginInput): Result<SessionRecord> | undefined {
    if (args.idempotency_key === undefined) return undefined;
    const stored = this.d.idempotency.get(this.idempotencyKey(caller, args.idempotency_key));
    if (stored === undefined) return undefined;
    const uploadId = readU64Key(stored);
    const session = this.d.sessions.get(uploadId);
    if (session === undefined) return undefined;
    if (session.state.kind !== 'open') return { Err: errors.idempotencyClosed(uploadId, session.state.kind) };
    const m = session.meta;
    const same =
      m.assetId === args.asset_id &&
      m.variant === args.variant &&
      m.fileName === args.file_name &&
      m.contentType === args.content_type &&
      session.size === args.size &&
      session.chunkSize === args.chunk_size &&
      m.public === args.public &&
      (m.expectedSha256 === undefined
        ? args.sha256 === undefined
        : args.sha256 !== undefined && bytesEqual(m.expectedSha256, args.sha256));
    return same ? ok(session) : { Err: errors.idempotencyMismatch(uploadId) };
  }

  /** The quotas (DESIGN.md, "Quotas"): each answers LimitExceeded naming itself. */
  private quotaRefusal(caller: Uint8Array, args: BeginInput, limits: Limits): UploadError | undefined {
    if (BigInt(this.d.sessions.openCount()) >= limits.maxOpenUploads) return errors.canisterOpenUploadsLimit(limits.maxOpenUploads);
    if (this.d.sessions.openCountOf(caller) >= limits.maxOpenUploadsPerCaller) {
      return errors.openUploadsLimit(limits.maxOpenUploadsPerCaller);
    }
    const totals = this.d.uploads.totals.get(caller);
    if (limits.maxBytesPerCaller !== undefined) {
      const held = totals.bytes + this.d.sessions.openBytesOf(caller);
      if (held + args.size > limits.maxBytesPerCaller) return errors.bytesPerCallerLimit(held, args.size, limits.maxBytesPerCaller);
    }
    return this.newAssetRefusal(caller, args.asset_id);
  }

  /** Uploads begun before the owner reached max_assets_per_caller may not finish past it. */
  private newAssetRefusal(caller: Uint8Array, assetId: string): UploadError | undefined {
    const max = this.d.limits().maxAssetsPerCaller;
    if (max === undefined || this.d.uploads.totals.get(caller).assets < max || this.d.uploads.asset(assetId) !== undefined) return undefined;
    return errors.assetsPerCallerLimit(max);
  }

  begin(caller: Uint8Array, args: BeginInput): Result<SessionRecord> {
    if (isAnonymous(caller)) return { Err: errors.anonymousCaller() };
    const limits = this.d.limits();
    const invalid = assertBeginArgs(args, limits);
    if (invalid !== undefined) return { Err: invalid };
    const retried = this.retriedBegin(caller, args);
    if (retried !== undefined) return retried;
    const refused = this.assetRefusal(caller, args.asset_id, args.variant) ?? this.quotaRefusal(caller, args, limits);
    if (refused !== undefined) return { Err: refused };
    const uploadId = this.d.counters.takeUploadId();
    if (args.idempotency_key !== undefined) {
      this.d.idempotency.insert(this.idempotencyKey(caller, args.idempotency_key), u64Key(uploadId));
    }
    const session = this.d.sessions.create(
      {
        uploadId,
        owner: caller,
        sessionKey: sessionKey(args.asset_id, uploadId),
        size: args.size,
        chunkSize: args.chunk_size,
        chunkCount: Number(chunkCountOf(args.size, args.chunk_size)),
        meta: {
          assetId: args.asset_id,
          variant: args.variant,
          fileName: args.file_name,
          contentType: args.content_type,
          expectedSha256: args.sha256,
          public: args.public,
          idempotencyKey: args.idempotency_key
        }
      },
      this.d.platform.time(),
      this.timeoutNs()
    );
    this.d.hashes.start(uploadId);
    return ok(session);
  }

  putChunk(caller: Uint8Array, uploadId: bigint, index: number, bytes: Uint8Array): Result<ChunkAckValue> {
    const found = this.owned(caller, uploadId);
    if ('Err' in found) return found;
    const session = found.Ok;
    if (session.state.kind !== 'open') return { Err: errors.notOpen(uploadId, session.state.kind, 'put_chunk') };
    const invalid = assertChunk(session, index, bytes.length);
    if (invalid !== undefined) return { Err: invalid };
    if (session.received.has(index)) {
      const outcome = this.d.blobStore.compare(session.sessionKey, index, bytes);
      if (outcome === 'conflict') return { Err: errors.chunkConflict(index) };
      // Marked received but not stored would be a bug; storing the resent bytes repairs it.
      if (outcome === 'missing') this.d.blobStore.store(session.sessionKey, index, bytes);
    } else {
      this.d.blobStore.store(session.sessionKey, index, bytes);
      this.d.sessions.markReceived(session, index);
    }
    this.d.sessions.touch(session, this.d.platform.time(), this.timeoutNs());
    this.d.hashes.advance(session, this.source({ index, bytes }));
    if (session.hashed < this.d.sessions.contiguousEnd(session)) this.d.scheduleHashing();
    this.d.sessions.save(session);
    return ok({ received: session.receivedCount, hashed: session.hashed });
  }

  finish(caller: Uint8Array, uploadId: bigint, digest: Uint8Array | undefined): Result<BlobRecord> {
    const found = this.owned(caller, uploadId);
    if ('Err' in found) return found;
    const session = found.Ok;
    const badDigest = assertDigest('sha256', digest);
    if (badDigest !== undefined) return { Err: badDigest };
    if (session.state.kind === 'finished') return this.finishedAgain(session.state.blobId, digest);
    if (session.state.kind !== 'open') return { Err: errors.notOpen(uploadId, session.state.kind, 'finish') };
    const begun = session.meta.expectedSha256;
    if (begun !== undefined && digest !== undefined && !bytesEqual(begun, digest)) {
      return { Err: errors.digestsDiffer() };
    }
    const expected = begun ?? digest;
    if (expected === undefined) return { Err: errors.digestMissing() };
    if (session.receivedCount < session.chunkCount) {
      return { Err: errors.incomplete(session.received.missing(MAX_MISSING_LISTED)) };
    }
    const refused = this.assetRefusal(caller, session.meta.assetId, session.meta.variant) ?? this.newAssetRefusal(caller, session.meta.assetId);
    if (refused !== undefined) return { Err: refused };
    if (session.hashed < session.chunkCount) {
      // Hashing progress is the one change an Err may carry (DESIGN.md). Every chunk has
      // arrived and the client is polling: that is activity, so the upload must not expire
      // while hashing catches up (its expiry moves as part of that progress).
      this.d.hashes.advance(session, this.source());
      this.d.sessions.touch(session, this.d.platform.time(), this.timeoutNs());
      this.d.sessions.save(session);
      if (session.hashed < session.chunkCount) {
        this.d.scheduleHashing();
        return { Err: errors.hashPending(session.hashed, session.chunkCount) };
      }
    }
    const actual = this.d.hashes.digest(session);
    if (!bytesEqual(actual, expected)) return { Err: errors.hashMismatch(expected, actual) };
    const now = this.d.platform.time();
    const blob: BlobRecord = {
      blobId: this.d.counters.takeBlobId(),
      owner: session.owner,
      assetId: session.meta.assetId,
      variant: session.meta.variant,
      fileName: session.meta.fileName,
      contentType: session.meta.contentType,
      size: session.size,
      sha256: actual,
      chunkSize: session.chunkSize,
      chunkCount: session.chunkCount,
      sessionKey: session.sessionKey,
      createdAtNs: now
    };
    this.d.uploads.commit(blob, session.meta.public, this.d.freeBudget);
    this.d.sessions.close(session, { kind: 'finished', blobId: blob.blobId }, now);
    this.d.hashes.drop(uploadId);
    return ok(blob);
  }

  /** finish is idempotent: the same BlobInfo again, as long as the blob exists. */
  private finishedAgain(blobId: bigint, digest: Uint8Array | undefined): Result<BlobRecord> {
    const blob = this.d.uploads.blob(blobId);
    if (blob === undefined) return { Err: errors.blobNotFound(blobId) };
    if (digest !== undefined && !bytesEqual(digest, blob.sha256)) return { Err: errors.hashMismatch(digest, blob.sha256) };
    return ok(blob);
  }

  abort(caller: Uint8Array, uploadId: bigint): Result<null> {
    const found = this.owned(caller, uploadId);
    if ('Err' in found) return found;
    const session = found.Ok;
    if (session.state.kind === 'aborted') return ok(null);
    if (session.state.kind === 'finished') return { Err: errors.notOpen(uploadId, 'finished', 'abort') };
    this.close(session);
    return ok(null);
  }

  private close(session: SessionRecord): void {
    this.d.sessions.close(session, { kind: 'aborted' }, this.d.platform.time());
    this.d.hashes.drop(session.uploadId);
    this.d.blobStore.free(session.sessionKey, session.chunkCount, this.d.freeBudget, session.received);
  }

  status(caller: Uint8Array, uploadId: bigint): Result<SessionRecord> {
    return this.owned(caller, uploadId);
  }

  /** A pruned session's idempotency key goes with it: the key may then begin a new upload. */
  pruned(session: SessionRecord): void {
    const key = session.meta.idempotencyKey;
    if (key === undefined) return;
    const entry = this.idempotencyKey(session.owner, key);
    const stored = this.d.idempotency.get(entry);
    if (stored !== undefined && readU64Key(stored) === session.uploadId) this.d.idempotency.remove(entry);
  }

  myUploads(caller: Uint8Array): SessionRecord[] {
    return this.d.sessions.ofOwner(caller, MY_UPLOADS_MAX, MY_UPLOADS_MAX_RECEIVED_INDEXES);
  }

  /**
   * Aborts open uploads idle past the timeout and frees their chunks (freeing what the budget
   * allows now, the rest by timer), each only while `more()` allows; answers true when no expired
   * upload is left open.
   */
  expire(nowNs: bigint, more: () => boolean): boolean {
    const batch = 64;
    for (;;) {
      const expired = this.d.sessions.expired(nowNs, batch);
      for (const session of expired) {
        if (!more()) return false;
        this.close(session);
      }
      if (expired.length < batch) return true;
    }
  }

  /** Whether some open upload has stored chunks its hash has not reached yet. */
  hashWorkPending(): boolean {
    for (const session of this.d.sessions.openSessions()) {
      if (session.hashed < this.d.sessions.contiguousEnd(session)) return true;
    }
    return false;
  }

  /**
   * Hashes stored-but-unhashed chunks within the budget; answers true if work remains. Progress
   * counts as activity (touch): an upload whose client has sent everything must not expire
   * while the canister is still hashing what it sent.
   */
  hashBacklog(): boolean {
    let remaining = false;
    for (const session of [...this.d.sessions.openSessions()]) {
      if (session.hashed >= this.d.sessions.contiguousEnd(session)) continue;
      if (this.d.hashes.advance(session, this.source()) > 0) {
        this.d.sessions.touch(session, this.d.platform.time(), this.timeoutNs());
        this.d.sessions.save(session);
      }
      if (session.hashed < this.d.sessions.contiguousEnd(session)) remaining = true;
    }
    return remaining;
  }
}
