// Resume bookkeeping: fingerprint → open upload id (STYLE.md 6). The journal is only a hint; the
// canister's `upload_status` is the truth, checked before anything is trusted (STYLE.md 9).
import type { UploadStatus } from '../../candid/ic_upload.js';
import type { ByteSource, Journal, JournalEntry } from './types.js';

/** Identifies "the same upload of the same file" across runs. */
export function fingerprint(source: ByteSource, assetId: string, variant: string, chunkSize: number, namespace = ''): string {
  return ['ic-upload', namespace, assetId, variant, source.name, source.size, source.lastModified ?? '', chunkSize].join(':');
}

/** Parses a stored entry, or undefined if it is not one (a corrupt or foreign journal). */
export function parseJournalEntry(value: unknown): JournalEntry | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const e = value as Record<string, unknown>;
  const ok =
    (e.uploadId === undefined || (typeof e.uploadId === 'string' && /^\d+$/.test(e.uploadId))) &&
    (e.idempotencyKey === undefined || (typeof e.idempotencyKey === 'string' && /^[0-9a-f]{2,64}$/.test(e.idempotencyKey))) &&
    typeof e.assetId === 'string' &&
    typeof e.variant === 'string' &&
    Number.isSafeInteger(e.size) &&
    Number.isSafeInteger(e.chunkSize) &&
    typeof e.createdAt === 'number';
  return ok ? (e as unknown as JournalEntry) : undefined;
}

/** Whether the canister's record of an upload is the one the journal entry describes (any upload
 * of that geometry while the entry's `begin` was in flight). */
export function statusMatches(status: UploadStatus, entry: JournalEntry): boolean {
  return (
    (entry.uploadId === undefined || status.upload_id === BigInt(entry.uploadId)) &&
    status.asset_id === entry.assetId &&
    status.variant === entry.variant &&
    status.size === BigInt(entry.size) &&
    status.chunk_size === entry.chunkSize
  );
}

/** A journal that lives as long as the process: the default when none is given. */
export class MemoryJournal implements Journal {
  private readonly map = new Map<string, JournalEntry>();
  async get(fp: string) {
    return this.map.get(fp);
  }
  async set(fp: string, entry: JournalEntry) {
    this.map.set(fp, { ...entry });
  }
  async delete(fp: string) {
    this.map.delete(fp);
  }
  async entries() {
    return [...this.map.entries()];
  }
}
