// The interfaces the upload engine depends on (STYLE.md 5: platform code behind interfaces).
// `node/` and `browser/` fill them in behind identical exports; tests supply their own.
import type { BlobInfo, IcUploadService } from '../../candid/ic_upload.js';

export type { IcUploadService };

/** Bytes the engine can read by range: a Node file, a browser Blob/File, or memory. */
export interface ByteSource {
  /** File name as stored in the blob record. */
  readonly name: string;
  readonly size: number;
  /** MIME type ('' when unknown: the upload then stores application/octet-stream). */
  readonly type: string;
  /** Modification time in ms, part of the resume fingerprint when known. */
  readonly lastModified?: number;
  /** Reads bytes [start, end). The engine reads each chunk once, in order. */
  read(start: number, end: number): Promise<Uint8Array>;
  /** Releases an underlying handle, if any. */
  close?(): Promise<void>;
}

/** What the journal remembers about an open upload (tus's fingerprint → URL, STYLE.md 6). */
export interface JournalEntry {
  /** Upload id as a decimal string (JSON has no bigint); absent while `begin` is in flight: the
   * entry is written before `begin` is sent, so an interrupt at any moment leaves a trace. */
  uploadId?: string;
  /** The `idempotency_key` the begin carries (hex), so a begin retried after a lost reply answers
   * the same upload. */
  idempotencyKey?: string;
  assetId: string;
  variant: string;
  size: number;
  chunkSize: number;
  /** ms since epoch, for housekeeping. */
  createdAt: number;
  /** Whose upload it is (the journal namespace: canister and principal); absent in old entries. */
  namespace?: string;
}

export interface Journal {
  get(fingerprint: string): Promise<JournalEntry | undefined>;
  set(fingerprint: string, entry: JournalEntry): Promise<void>;
  delete(fingerprint: string): Promise<void>;
  entries(): Promise<Array<[string, JournalEntry]>>;
}

/** Time as the engine sees it; tests replace it to run backoff without waiting. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, rejects with the signal's reason if it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Explicit per-upload state (STYLE.md 8). */
export type UploadState =
  | { kind: 'pending' }
  | { kind: 'reading'; uploadId: bigint; resumed: boolean }
  | { kind: 'finishing'; uploadId: bigint; sha256: Uint8Array }
  | { kind: 'finished'; uploadId: bigint; blob: BlobInfo }
  | { kind: 'failed'; uploadId?: bigint; error: Error }
  | { kind: 'aborted'; uploadId?: bigint };

export type UploadStateKind = UploadState['kind'];

/** Progress of one upload (one variant of one asset). All counters only grow. */
export interface FileProgress {
  /** Stable key: `${assetId}#${variant}`. */
  key: string;
  assetId: string;
  variant: string;
  fileName: string;
  size: number;
  /** Bytes read (and hashed) locally. */
  bytesRead: number;
  /** Bytes the canister acknowledged storing (put_chunk Ok, or already received on resume). */
  bytesAcknowledged: number;
  /** Bytes the canister has folded into its rolling hash (from ChunkAck.hashed). */
  bytesHashed: number;
  state: UploadStateKind;
}

export interface OverallProgress {
  /** Files (assets) in the run: an image and its derivatives are one file. */
  files: number;
  /** Files whose original and derivatives have all settled (finished, failed or aborted). */
  filesDone: number;
  /** Variant uploads (originals and derivatives) known so far, and those settled. */
  uploads: number;
  uploadsDone: number;
  size: number;
  bytesRead: number;
  /** Bytes the canister holds, including what an earlier run stored (resume). */
  bytesAcknowledged: number;
  /** Bytes acknowledged that this run sent: what the rate is measured on. */
  bytesSent: number;
  bytesHashed: number;
  /** Bytes sent in this run per second over a recent window. */
  rate: number;
  /** Seconds until everything known so far is acknowledged, or undefined while the rate is unknown. */
  etaSeconds: number | undefined;
}

export interface ProgressEvent {
  /** The upload whose change produced this event. */
  file: FileProgress;
  overall: OverallProgress;
}
