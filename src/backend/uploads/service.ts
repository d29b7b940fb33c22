// The upload API bridged onto the generic sessions (session/): upload metadata,
// the rolling hash, finish into a blob. Every method validates first and changes state only
// once nothing can fail, so an Err leaves everything as it was (except hashing progress).
//
// Hashing runs through self-calls to the native method (session/hashing.ts), so it spans
// messages: the part of put_chunk or finish before the first await commits at that await (the
// chunk is stored, the answer decided), and each hashing call's callback is a message of its own.
// A trap in a callback rolls back only that callback: the chunk stays stored, the frontier where
// it was, and the client that sees a reject resends the same bytes, which is accepted.
import { concatBytes } from '@noble/hashes/utils.js';
import { assertBeginArgs, assertChunk, assertDigest, type BeginInput } from '../assert.js';
import { bytesEqual } from '../../shared/bytes.js';
import { readU64Key, u64Key } from '../encoding.js';
import type { KeyValueStore } from '../kv.js';
import { errors, MAX_MISSING_LISTED, ok, type Result, type UploadError } from '../errors.js';
import { ownerPrefix, sessionKey } from '../keys.js';
import { isAnonymous, type Platform } from '../platform.js';
import type { CounterState } from '../counters.js';
import type { BlobStore, FreeBudget } from '../assets/blob_store.js';
import type { AssetCatalogue } from '../assets/catalogue.js';
import type { BlobRecord } from '../model/blob_record.js';
import { MAX_VARIANTS_PER_ASSET, type Limits } from '../model/limits.js';
import type { SessionRecord, UploadMeta } from '../model/session_record.js';
import type { ChunkDigests } from '../assets/chunk_digests.js';
import type { Absorb, RollingHashes } from '../session/hashing.js';
import { chunkCountOf, type SessionService } from '../session/service.js';

export interface UploadSessionsDeps {
  sessions: SessionService<UploadMeta>;
  hashes: RollingHashes;
  /** The native method (a self-call in the canister). */
  absorb: Absorb;
  chunkDigests: ChunkDigests;
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
  /** Writes the counters: each message of a hashing loop ends with it. */
  flush: () => void;
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
  constructor(private readonly d: UploadSessionsDeps) {}

  private timeoutNs(): bigint {
    return this.d.limits().uploadIdleTimeoutS * NS_PER_S;
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
    return concatBytes(ownerPrefix(caller), key);
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

  /** The quotas (InitArgs, the `limits` query): each answers LimitExceeded naming itself. */
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

  /** Runs a state change and writes the counters after it, whatever it answers. */
  private committed<T>(run: () => T): T {
    try {
      return run();
    } finally {
      this.d.flush();
    }
  }

  begin(caller: Uint8Array, args: BeginInput): Result<SessionRecord> {
    return this.committed(() => this.open(caller, args));
  }

  private open(caller: Uint8Array, args: BeginInput): Result<SessionRecord> {
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
        sessionKey: sessionKey(uploadId),
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

  /**
   * Stores the chunk (committed at the first await, whatever follows), then, if it is at the
   * frontier, hashes it before answering; `hashed` in the ack is the frontier after that.
   */
  async putChunk(caller: Uint8Array, uploadId: bigint, index: number, bytes: Uint8Array): Promise<Result<ChunkAckValue>> {
    const stored = this.committed(() => this.storeChunk(caller, uploadId, index, bytes));
    if ('Err' in stored || stored.Ok.hashed !== index) return stored;
    await this.hashFrontier(uploadId, index + 1, { index, bytes });
    const session = this.d.sessions.get(uploadId);
    if (session === undefined) return stored;
    if (session.hashed < this.d.sessions.contiguousEnd(session)) this.d.scheduleHashing();
    this.d.flush();
    return ok({ received: stored.Ok.received, hashed: Math.max(stored.Ok.hashed, session.hashed) });
  }

  private storeChunk(caller: Uint8Array, uploadId: bigint, index: number, bytes: Uint8Array): Result<ChunkAckValue> {
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
    this.d.sessions.save(session);
    return ok({ received: session.receivedCount, hashed: session.hashed });
  }

  /**
   * Advances the session's frontier over stored chunks by native hashing calls, one in flight per
   * session: returns at once if another message holds the session's flag (that message's loop
   * will reach the new chunks). Stops after chunk `until` - 1 (put_chunk hashes up to its own
   * chunk, so its reply waits for one or a few calls, not the whole backlog) and hands what is
   * left to the hashing timer. `carried` is the chunk the current message brought, read back from
   * stable memory otherwise.
   */
  async hashFrontier(uploadId: bigint, until = Number.MAX_SAFE_INTEGER, carried?: { index: number; bytes: Uint8Array }): Promise<void> {
    if (!this.d.hashes.acquire(uploadId, this.d.platform.time())) return;
    try {
      for (;;) {
        const session = this.d.sessions.get(uploadId);
        if (session === undefined || session.state.kind !== 'open' || !this.d.hashes.has(uploadId)) return;
        const index = session.hashed;
        if (index >= this.d.sessions.contiguousEnd(session)) return;
        if (index >= until) {
          this.d.scheduleHashing();
          return;
        }
        const bytes = carried?.index === index ? carried.bytes : this.d.blobStore.get(session.sessionKey, index);
        // Marked received but not stored is a bug; a resend of the chunk stores it again.
        if (bytes === undefined) return;
        const from = this.d.hashes.midstate(session);
        const chunkDigest = this.wantsChunkDigest(session, index);
        // The last chunk's call also answers the whole stream's digest, for finish.
        const result = await this.d.absorb(from, bytes, { chunkDigest, final: index === session.chunkCount - 1 });
        if (result.kind === 'failed') {
          this.d.scheduleHashing();
          return;
        }
        // Another message may have moved things while the call was out (finish, abort, expiry,
        // a holder presumed lost): the result applies only to the midstate it started from.
        const after = this.d.sessions.get(uploadId);
        if (after === undefined || after.state.kind !== 'open' || after.hashed !== index) return;
        if (!this.d.hashes.advance(uploadId, from, result.midstate, result.digest)) return;
        if (result.chunkDigest !== undefined) this.d.chunkDigests.putForSession(after.sessionKey, index, result.chunkDigest);
        after.hashed = index + 1;
        after.hashedOffset = 0;
        // Hashing is activity: an upload whose client has sent everything must not expire
        // while the canister is still hashing what it sent.
        this.d.sessions.touch(after, this.d.platform.time(), this.timeoutNs());
        this.d.sessions.save(after);
        this.d.flush();
      }
    } finally {
      this.d.hashes.release(uploadId);
    }
  }

  /**
   * Whether the hashing call for chunk `index` also computes the chunk's own digest. Only served
   * blobs need those (certified HTTP pieces), and each costs a second SHA-256 pass over the chunk
   * (≈ 79 instructions per byte, as much as the rolling hash itself), so an upload that will
   * finish private skips them: finishing public (`public = opt true`, or unset into an asset that
   * is public now) computes them here; a blob made public later gets them from HTTP serving's
   * timer (ChunkDigests.fill) before it is certified. Chunk 0 decides and later chunks follow
   * (a digest only if the previous chunk has one), so the digests written always form a prefix:
   * ChunkDigests.complete reads the last one, and fill starts where they stop.
   */
  private wantsChunkDigest(session: SessionRecord, index: number): boolean {
    if (index > 0 && !this.d.chunkDigests.hasForSession(session.sessionKey, index - 1)) return false;
    return session.meta.public ?? this.d.uploads.asset(session.meta.assetId)?.public ?? false;
  }

  /** Whether a finish answering HashPending could instead wait here for the frontier. */
  private canWaitForHash(uploadId: bigint): boolean {
    const session = this.d.sessions.get(uploadId);
    return (
      session !== undefined &&
      session.state.kind === 'open' &&
      session.receivedCount === session.chunkCount &&
      !this.d.hashes.busy(uploadId, this.d.platform.time())
    );
  }

  /**
   * Finishes, waiting here for the frontier when every chunk is stored and no other message is
   * hashing this upload; HashPending only when one is (the client retries) or a call failed.
   */
  async finish(caller: Uint8Array, uploadId: bigint, digest: Uint8Array | undefined): Promise<Result<BlobRecord>> {
    const first = this.committed(() => this.finishNow(caller, uploadId, digest));
    if (!('Err' in first) || !('HashPending' in first.Err) || !this.canWaitForHash(uploadId)) return first;
    await this.hashFrontier(uploadId);
    return this.committed(() => this.finishNow(caller, uploadId, digest));
  }

  private finishNow(caller: Uint8Array, uploadId: bigint, digest: Uint8Array | undefined): Result<BlobRecord> {
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
      // Every chunk has arrived and the client is polling: that is activity, so the upload
      // must not expire while hashing catches up (its expiry moves as part of that progress,
      // the one change an Err may carry).
      this.d.sessions.touch(session, this.d.platform.time(), this.timeoutNs());
      this.d.sessions.save(session);
      this.d.scheduleHashing();
      return { Err: errors.hashPending(session.hashed, session.chunkCount) };
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
    return this.committed(() => this.abortNow(caller, uploadId));
  }

  private abortNow(caller: Uint8Array, uploadId: bigint): Result<null> {
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

  /** The open uploads with stored chunks their hash has not reached yet. */
  hashBacklog(): bigint[] {
    const out: bigint[] = [];
    for (const session of this.d.sessions.openSessions()) {
      if (session.hashed < this.d.sessions.contiguousEnd(session)) out.push(session.uploadId);
    }
    return out;
  }
}
