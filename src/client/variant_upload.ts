// One upload: one variant of one asset, from `begin` (or a resumed session) to `finish`.
// Reads the source once, in order, hashing as it reads; sends chunks with at most
// `chunkConcurrency` in flight; the digest goes to the canister at `finish`.
import { sha256 } from '@noble/hashes/sha2.js';
import type { BlobInfo, IcUploadService, Result, UploadError as ContractError, UploadStatus } from '../../candid/ic_upload.js';
import { chunkRange, DEFAULT_CONTENT_TYPE } from './bytes.js';
import { toHex } from '../shared/bytes.js';
import { RetriesExhaustedError, ServiceError, UploadAbortedError, UploadError } from './errors.js';
import { fingerprint, statusMatches } from './journal.js';
import type { Limiter } from './pool.js';
import type { ProgressTracker } from './progress.js';
import { backoffDelay, RetryFailure, withRetry, type RetryPolicy } from './retry.js';
import type { ByteSource, Clock, FileProgress, Journal, UploadState } from './types.js';

export interface VariantUploadContext {
  actor: IcUploadService;
  journal: Journal;
  journalNamespace: string;
  clock: Clock;
  retry: RetryPolicy;
  tracker: ProgressTracker;
  chunkSize: number;
  chunkConcurrency: number;
  /** Held from before `begin` (or resume) to the end: bounds the caller's open uploads. */
  openUploads: Limiter;
  /** How many `HashPending` answers in a row without progress before giving up. */
  maxHashPendingStalls: number;
  onState?: (key: string, state: UploadState) => void;
}

export interface VariantUploadRequest {
  source: ByteSource;
  assetId: string;
  variant: string;
  contentType?: string;
  /** `BeginArgs.public`: on finish the asset becomes public (true) or private (false). */
  public?: boolean;
}

export class VariantUpload {
  state: UploadState = { kind: 'pending' };
  /** Whether this run carried on an upload the journal remembered (open or already finished). */
  resumed = false;
  /** Chunk bytes the canister acknowledged in this run: what was actually sent, resends counted once. */
  bytesSent = 0;
  readonly key: string;
  readonly progress: FileProgress;
  private readonly fp: string;

  constructor(
    private readonly ctx: VariantUploadContext,
    private readonly req: VariantUploadRequest
  ) {
    this.key = `${req.assetId}#${req.variant}`;
    this.progress = ctx.tracker.add(this.key, req.assetId, req.variant, req.source.name, req.source.size);
    this.fp = fingerprint(req.source, req.assetId, req.variant, ctx.chunkSize, ctx.journalNamespace);
  }

  get fileName(): string {
    return this.req.source.name;
  }

  run(signal?: AbortSignal): Promise<BlobInfo> {
    return this.ctx.openUploads.run(() => this.runOpen(signal));
  }

  private async runOpen(signal?: AbortSignal): Promise<BlobInfo> {
    let uploadId: bigint | undefined;
    try {
      signal?.throwIfAborted();
      const resumed = await this.resume(signal);
      this.resumed = resumed !== undefined;
      if (resumed?.kind === 'finished') return resumed.blob;
      let received = new Set<number>();
      let chunkCount: number;
      if (resumed) {
        uploadId = resumed.status.upload_id;
        chunkCount = resumed.status.chunk_count;
        received = new Set(Array.from(resumed.status.received));
        this.acknowledgeStored(received, resumed.status.hashed);
      } else {
        const begun = await this.begin(signal);
        uploadId = begun.uploadId;
        chunkCount = begun.chunkCount;
      }
      this.setState({ kind: 'reading', uploadId, resumed: resumed !== undefined });
      const sent = await this.sendAll(uploadId, chunkCount, received, signal);
      const blob = await this.finishOnceStored(uploadId, sent, signal);
      await this.ctx.journal.delete(this.fp);
      this.setState({ kind: 'finished', uploadId, blob });
      return blob;
    } catch (error) {
      throw await this.fail(uploadId, error, signal);
    }
  }

  private setState(state: UploadState): void {
    this.state = state;
    this.ctx.tracker.state(this.progress, state.kind);
    this.ctx.onState?.(this.key, state);
  }

  /** Looks the journal's entry up on the canister; anything it no longer vouches for is forgotten. */
  private async resume(signal?: AbortSignal): Promise<{ kind: 'open'; status: UploadStatus } | { kind: 'finished'; blob: BlobInfo } | undefined> {
    const entry = await this.ctx.journal.get(this.fp);
    if (!entry) return undefined;
    if (entry.uploadId === undefined) {
      // Interrupted while its `begin` was in flight: the canister may have opened the upload.
      const open = await this.call('my_uploads', () => this.ctx.actor.my_uploads(), signal);
      const begun = open.filter((s) => 'Open' in s.state && statusMatches(s, entry)).sort((a, b) => (a.upload_id < b.upload_id ? 1 : -1))[0];
      if (begun) {
        await this.ctx.journal.set(this.fp, { ...entry, uploadId: begun.upload_id.toString() });
        return { kind: 'open', status: begun };
      }
      await this.ctx.journal.delete(this.fp);
      return undefined;
    }
    const journalled = BigInt(entry.uploadId);
    const answer = await this.call('upload_status', () => this.ctx.actor.upload_status(journalled), signal);
    if ('Ok' in answer && statusMatches(answer.Ok, entry)) {
      const state = answer.Ok.state;
      if ('Open' in state) return { kind: 'open', status: answer.Ok };
      if ('Finished' in state) {
        const info = await this.call('blob_info', () => this.ctx.actor.blob_info(state.Finished), signal);
        if ('Ok' in info) {
          await this.ctx.journal.delete(this.fp);
          this.setState({ kind: 'finished', uploadId: answer.Ok.upload_id, blob: info.Ok });
          return { kind: 'finished', blob: info.Ok };
        }
      }
    }
    await this.ctx.journal.delete(this.fp);
    return undefined;
  }

  private acknowledgeStored(received: Set<number>, hashed: number): void {
    let bytes = 0;
    for (const i of received) {
      const [start, end] = chunkRange(i, this.ctx.chunkSize, this.req.source.size);
      bytes += end - start;
    }
    this.ctx.tracker.alreadyStored(this.progress, bytes, this.hashedBytes(hashed));
  }

  private hashedBytes(hashedChunks: number): number {
    return Math.min(this.req.source.size, hashedChunks * this.ctx.chunkSize);
  }

  private async begin(signal?: AbortSignal): Promise<{ uploadId: bigint; chunkCount: number }> {
    const { source, assetId, variant } = this.req;
    // Journalled before `begin` is sent: whenever the process stops, the next run finds the
    // upload (see `resume`). The key makes a begin retried after a lost reply answer the same upload.
    const idempotencyKey = crypto.getRandomValues(new Uint8Array(16));
    const entry = { assetId, variant, size: source.size, chunkSize: this.ctx.chunkSize, createdAt: this.ctx.clock.now(), idempotencyKey: toHex(idempotencyKey), namespace: this.ctx.journalNamespace };
    await this.ctx.journal.set(this.fp, entry);
    const answer = await this.call(
      'begin',
      () =>
        this.ctx.actor.begin({
          asset_id: assetId,
          variant,
          file_name: source.name,
          // A source may not know its type (a Blob without one, a custom source): never store ''.
          content_type: this.req.contentType || source.type || DEFAULT_CONTENT_TYPE,
          size: BigInt(source.size),
          chunk_size: this.ctx.chunkSize,
          sha256: [],
          idempotency_key: [idempotencyKey],
          public: this.req.public === undefined ? [] : [this.req.public]
        }),
      signal
    );
    const ok = this.unwrap('begin', answer);
    await this.ctx.journal.set(this.fp, { ...entry, uploadId: ok.upload_id.toString() });
    return { uploadId: ok.upload_id, chunkCount: ok.chunk_count };
  }

  /**
   * Reads every chunk in order (the digest needs them all) and sends those not yet received;
   * answers once the last is sent, with the digest, how many chunks are still unacknowledged
   * and `stored`, which resolves once all are: to the first failure (or the abort), if any.
   */
  private async sendAll(uploadId: bigint, chunkCount: number, received: Set<number>, signal?: AbortSignal): Promise<SentChunks> {
    const { source } = this.req;
    const hasher = sha256.create();
    const inFlight = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    for (let index = 0; index < chunkCount && !failure; index++) {
      signal?.throwIfAborted();
      const [start, end] = chunkRange(index, this.ctx.chunkSize, source.size);
      const bytes = await source.read(start, end);
      if (bytes.length !== end - start) {
        throw new UploadError(`${source.name} changed while it was read (chunk ${index} has ${bytes.length} bytes, expected ${end - start})`, source.name);
      }
      hasher.update(bytes);
      this.ctx.tracker.read(this.progress, bytes.length);
      if (received.has(index)) continue;
      while (inFlight.size >= this.ctx.chunkConcurrency) await Promise.race(inFlight);
      if (failure) break;
      const sending: Promise<void> = this.putChunk(uploadId, index, bytes, signal)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    }
    if (failure) {
      // A chunk failed before the last was read: nothing more goes out.
      await Promise.all(inFlight);
      throw failure.error;
    }
    const stored = Promise.all(inFlight).then(() => failure ?? (signal?.aborted ? { error: signal.reason as unknown } : undefined));
    return { digest: hasher.digest(), unacknowledged: inFlight.size, stored };
  }

  /**
   * `finish` once every chunk is stored. When only the last chunk is still unacknowledged, a
   * first `finish` goes right behind it: a replica takes one client's calls in the order they
   * arrive, so it mostly finds the chunk stored and hashed, and the file is done a round trip
   * sooner. If it overtakes the chunk, or the chunk's hashing call is still out (on the IC it may
   * be), the canister answers Incomplete or HashPending and changes nothing: `finish` then goes
   * again once the chunk is acknowledged, as it would have without the overlap — one call more,
   * no later. With more chunks in flight it would mostly overtake them, so it waits. Once that
   * finish is Ok the blob is whole and verified, whatever the chunk's own answer says (a retry of
   * it after a lost answer finds the upload finished and is refused).
   */
  private async finishOnceStored(uploadId: bigint, sent: SentChunks, signal?: AbortSignal): Promise<BlobInfo> {
    const finishing = () => this.setState({ kind: 'finishing', uploadId, sha256: sent.digest });
    /** One finish, no retries: undefined if its answer did not come. */
    const finishOnce = () => this.ctx.actor.finish({ upload_id: uploadId, sha256: [sent.digest] }).catch(() => undefined);
    let early: Promise<Result<BlobInfo> | undefined> | undefined;
    if (sent.unacknowledged === 1 && !signal?.aborted) {
      finishing();
      early = finishOnce();
    }
    const [failed, answer] = await Promise.all([sent.stored, early]);
    if (answer !== undefined && 'Ok' in answer) return answer.Ok;
    if (failed) {
      if (early && answer === undefined) {
        // Both answers may have been lost while the upload finished: finish is idempotent, ask once.
        const again = await finishOnce();
        if (again !== undefined && 'Ok' in again) return again.Ok;
      }
      throw failed.error;
    }
    if (answer !== undefined && !('Incomplete' in answer.Err) && !('HashPending' in answer.Err)) this.unwrap('finish', answer);
    if (!early) finishing();
    return this.finish(uploadId, sent.digest, signal);
  }

  private async putChunk(uploadId: bigint, index: number, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
    const answer = await this.call('put_chunk', () => this.ctx.actor.put_chunk({ upload_id: uploadId, index, bytes }), signal);
    const ack = this.unwrap('put_chunk', answer);
    this.bytesSent += bytes.length;
    this.ctx.tracker.acknowledged(this.progress, bytes.length, this.hashedBytes(ack.hashed));
  }

  /** `finish`, again while the canister answers HashPending and its hashing keeps moving. */
  private async finish(uploadId: bigint, digest: Uint8Array, signal?: AbortSignal): Promise<BlobInfo> {
    let stalls = 0;
    let lastHashed = -1;
    for (;;) {
      const answer = await this.call('finish', () => this.ctx.actor.finish({ upload_id: uploadId, sha256: [digest] }), signal);
      if ('Ok' in answer) return answer.Ok;
      if (!('HashPending' in answer.Err)) this.unwrap('finish', answer);
      const { hashed } = (answer.Err as { HashPending: { hashed: number; chunk_count: number } }).HashPending;
      this.ctx.tracker.hashed(this.progress, this.hashedBytes(hashed));
      stalls = hashed > lastHashed ? 1 : stalls + 1;
      lastHashed = hashed;
      if (stalls > this.ctx.maxHashPendingStalls) {
        throw new ServiceError(answer.Err, this.req.source.name, 'finish');
      }
      await this.ctx.clock.sleep(backoffDelay(this.ctx.retry, stalls), signal);
    }
  }

  /** Cleans up after a failure and returns the error to throw. */
  private async fail(uploadId: bigint | undefined, error: unknown, signal?: AbortSignal): Promise<Error> {
    const name = this.req.source.name;
    if (signal?.aborted) {
      // Marked aborted before any await: nothing else may treat this upload as live.
      this.setState({ kind: 'aborted', uploadId });
      if (uploadId !== undefined) {
        await this.ctx.actor.abort(uploadId).catch(() => undefined);
      }
      await this.ctx.journal.delete(this.fp);
      return new UploadAbortedError(name, signal.reason);
    }
    const failure = error instanceof Error ? error : new UploadError(String(error), name);
    this.setState({ kind: 'failed', uploadId, error: failure });
    if (failure instanceof ServiceError) {
      // The canister refused this upload for good (its begin included): free it, and don't resume it next time.
      if (uploadId !== undefined) await this.ctx.actor.abort(uploadId).catch(() => undefined);
      await this.ctx.journal.delete(this.fp);
    }
    // Anything else (retries exhausted, file unreadable) keeps the journal entry: the next run resumes.
    return failure;
  }

  private async call<T>(method: string, attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await withRetry(attempt, this.ctx.retry, this.ctx.clock, signal);
    } catch (error) {
      if (error instanceof RetryFailure) throw new RetriesExhaustedError(this.req.source.name, method, error.attempts, error.lastError);
      throw error;
    }
  }

  private unwrap<T>(method: string, answer: Result<T>): T {
    if ('Ok' in answer) return answer.Ok;
    throw new ServiceError(answer.Err as ContractError, this.req.source.name, method);
  }
}

interface SentChunks {
  digest: Uint8Array;
  unacknowledged: number;
  /** Never rejects: the first chunk failure (or the abort) if there was one. */
  stored: Promise<{ error: unknown } | undefined>;
}
