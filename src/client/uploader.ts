// The Uploader: many files at once (bounded), each as its original plus, for images, a second lane
// of derivatives uploaded concurrently into the same asset.
import type { BlobInfo, IcUploadService, Limits } from '../../candid/ic_upload.js';
import { DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, memorySource } from './bytes.js';
import { DEFAULT_DERIVATIVES, derivativeFileName, type DerivativeSpec, type ImageDeriver } from './derivatives.js';
import { messageOf, UploadAbortedError, UploadError } from './errors.js';
import { journalNamespaceOf, MemoryJournal } from './journal.js';
import { Limiter } from './pool.js';
import { ProgressTracker } from './progress.js';
import { DEFAULT_RETRY_POLICY, systemClock, type RetryPolicy } from './retry.js';
import type { ByteSource, Clock, Journal, ProgressEvent, UploadState } from './types.js';
import { VariantUpload, type VariantUploadContext } from './variant_upload.js';

export interface UploaderOptions {
  /** Any object with the service's methods: an agent-js Actor, a pic-js actor, a fake. */
  actor: IcUploadService;
  /** Where open uploads are remembered for resume. Default: in memory (no resume across runs). */
  journal?: Journal;
  /** Separates journal entries of different canisters/identities. Default: an agent-js actor's
   * canister and principal (`journalNamespaceOf`); for other actors, '' (one shared namespace). */
  journalNamespace?: string;
  clock?: Clock;
  retry?: Partial<RetryPolicy>;
  /** Bytes per chunk (default 1,900,000; at most 2,000,000). */
  chunkSize?: number;
  concurrency?: {
    /** Files (assets) uploading at once. Default 4. */
    files?: number;
    /** Chunks in flight per upload. Default 4. */
    chunks?: number;
    /** Derivative jobs (decode + render + upload) at once. Default 2. */
    derivatives?: number;
    /** Uploads open on the canister at once, originals and derivatives together: the canister's
     * `max_open_uploads_per_caller`. Uploads past it wait their turn. Default 16. */
    openUploads?: number;
  };
  /** Makes image derivatives; without one, none are made. */
  deriver?: ImageDeriver;
  /** Which derivatives to make; `false` for none. Default: display 1600, thumb 320, placeholder 32. */
  derivatives?: readonly DerivativeSpec[] | false;
  /** HashPending answers in a row without hashing progress before finish gives up. Default 20. */
  maxHashPendingStalls?: number;
}

export interface UploadItem {
  source: ByteSource;
  /** Asset id; default: the source's name. */
  assetId?: string;
  contentType?: string;
}

export interface UploadRunOptions {
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  /** Every state change of every variant upload, keyed `${assetId}#${variant}`. */
  onState?: (key: string, state: UploadState) => void;
}

interface OutcomeBase {
  assetId: string;
  fileName: string;
  variants: Record<string, BlobInfo>;
  warnings: string[];
  /** The original carried on an upload from an earlier run (found through the journal). */
  resumed: boolean;
  /** Bytes sent in this run, all variants together: excludes what earlier runs had stored. */
  bytesSent: number;
}

export type AssetOutcome = (OutcomeBase & { status: 'finished' }) | (OutcomeBase & { status: 'failed' | 'aborted'; error: UploadError });

export class Uploader {
  private readonly actor: IcUploadService;
  private readonly journal: Journal;
  private readonly clock: Clock;
  private readonly retry: RetryPolicy;
  private readonly chunkSize: number;
  private readonly fileLimit: Limiter;
  private readonly derivativeLimit: Limiter;
  private readonly chunkConcurrency: number;
  private readonly openUploads: Limiter;
  private readonly specs: readonly DerivativeSpec[];

  constructor(private readonly options: UploaderOptions) {
    this.actor = options.actor;
    this.journal = options.journal ?? new MemoryJournal();
    this.clock = options.clock ?? systemClock;
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isInteger(this.chunkSize) || this.chunkSize < 1 || this.chunkSize > MAX_CHUNK_SIZE) {
      throw new RangeError(`chunkSize must be an integer in 1..=${MAX_CHUNK_SIZE}, got ${this.chunkSize}`);
    }
    this.fileLimit = new Limiter(options.concurrency?.files ?? 4);
    this.derivativeLimit = new Limiter(options.concurrency?.derivatives ?? 2);
    this.chunkConcurrency = new Limiter(options.concurrency?.chunks ?? 4).limit;
    this.openUploads = new Limiter(options.concurrency?.openUploads ?? 16);
    this.specs = options.derivatives === false || !options.deriver ? [] : (options.derivatives ?? DEFAULT_DERIVATIVES);
  }

  /**
   * The chunk size and file concurrency fitted to the canister's `limits` (read once): chunks no
   * larger than max_chunk_bytes, and no more files at once than max_open_uploads_per_caller
   * allows with each file's derivative lane open beside it. A canister without `limits` (an
   * older release) keeps the configured figures.
   */
  private fitted: Promise<{ chunkSize: number; files: Limiter }> | undefined;

  private fit(): Promise<{ chunkSize: number; files: Limiter }> {
    this.fitted ??= (async () => {
      let limits: Limits;
      try {
        limits = await this.actor.limits();
      } catch {
        this.fitted = undefined;
        return { chunkSize: this.chunkSize, files: this.fileLimit };
      }
      const chunkSize = Math.min(this.chunkSize, limits.max_chunk_bytes);
      const perFile = 1 + (this.specs.length > 0 ? this.derivativeLimit.limit : 0);
      const files = Math.max(1, Math.min(this.fileLimit.limit, Math.floor(limits.max_open_uploads_per_caller / perFile)));
      return { chunkSize, files: files === this.fileLimit.limit ? this.fileLimit : new Limiter(files) };
    })();
    return this.fitted;
  }

  /** Uploads every item; never throws for one file's failure — each outcome says what happened. */
  async uploadAll(items: readonly UploadItem[], run: UploadRunOptions = {}): Promise<AssetOutcome[]> {
    const fitted = await this.fit();
    const tracker = new ProgressTracker(this.clock, run.onProgress);
    const ctx: VariantUploadContext = {
      actor: this.actor,
      journal: this.journal,
      journalNamespace: this.options.journalNamespace ?? (await journalNamespaceOf(this.actor)) ?? '',
      clock: this.clock,
      retry: this.retry,
      tracker,
      chunkSize: fitted.chunkSize,
      chunkConcurrency: this.chunkConcurrency,
      openUploads: this.openUploads,
      maxHashPendingStalls: this.options.maxHashPendingStalls ?? 20,
      onState: run.onState
    };
    // Register every original up front so overall progress knows the total from the start.
    const jobs = items.map((item) => ({ item, original: new VariantUpload(ctx, this.request(item, 'original')) }));
    return Promise.all(jobs.map(({ item, original }) => fitted.files.run(() => this.uploadAsset(ctx, item, original, run.signal))));
  }

  /** Uploads one item and throws its error if it did not finish. */
  async upload(item: UploadItem, run: UploadRunOptions = {}): Promise<Record<string, BlobInfo>> {
    const [outcome] = await this.uploadAll([item], run);
    if (outcome!.status !== 'finished') throw outcome!.error;
    return outcome!.variants;
  }

  private request(item: UploadItem, variant: string) {
    return { source: item.source, assetId: item.assetId ?? item.source.name, variant, contentType: item.contentType };
  }

  private async uploadAsset(ctx: VariantUploadContext, item: UploadItem, original: VariantUpload, signal?: AbortSignal): Promise<AssetOutcome> {
    const assetId = item.assetId ?? item.source.name;
    const fileName = item.source.name;
    const variants: Record<string, BlobInfo> = {};
    const warnings: string[] = [];
    // The derivative lane stops if the original fails: an asset without its original is no use.
    const lane = new AbortController();
    const onAbort = () => lane.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const errors: unknown[] = [];
    const uploads: VariantUpload[] = [original];
    try {
      const derivatives = this.shouldDerive(item) ? this.derivativeLane(ctx, item, assetId, variants, warnings, errors, uploads, lane.signal) : Promise.resolve();
      try {
        variants.original = await original.run(signal);
      } catch (error) {
        errors.unshift(error);
        lane.abort(error);
      }
      await derivatives;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await item.source.close?.().catch(() => undefined);
      ctx.tracker.assetSettled(assetId);
    }
    const base: OutcomeBase = { assetId, fileName, variants, warnings, resumed: original.resumed, bytesSent: uploads.reduce((n, u) => n + u.bytesSent, 0) };
    if (errors.length === 0) return { status: 'finished', ...base };
    const first = errors[0];
    const error = first instanceof UploadError ? first : new UploadError(messageOf(first), fileName, { cause: first });
    return { status: error instanceof UploadAbortedError && signal?.aborted ? 'aborted' : 'failed', ...base, error };
  }

  private shouldDerive(item: UploadItem): boolean {
    const deriver = this.options.deriver;
    return this.specs.length > 0 && deriver !== undefined && deriver.canDerive(item.source);
  }

  private derivativeLane(
    ctx: VariantUploadContext,
    item: UploadItem,
    assetId: string,
    variants: Record<string, BlobInfo>,
    warnings: string[],
    errors: unknown[],
    uploads: VariantUpload[],
    signal: AbortSignal
  ): Promise<void> {
    return this.derivativeLimit.run(async () => {
      if (signal.aborted) return;
      let images;
      try {
        images = await this.options.deriver!.derive(item.source, this.specs);
      } catch (error) {
        // A file that looks like an image but does not decode still uploads as itself.
        warnings.push(`no derivatives for ${item.source.name}: ${messageOf(error)}`);
        return;
      }
      await Promise.all(
        images.map(async (image) => {
          const name = derivativeFileName(item.source.name, image.variant, image.contentType);
          const upload = new VariantUpload(ctx, {
            source: memorySource(image.bytes, name, image.contentType, item.source.lastModified),
            assetId,
            variant: image.variant,
            contentType: image.contentType
          });
          uploads.push(upload);
          try {
            variants[image.variant] = await upload.run(signal);
          } catch (error) {
            if (!(error instanceof UploadAbortedError && errors.length > 0)) errors.push(error);
          }
        })
      );
    });
  }
}
