// Resume bookkeeping: fingerprint → open upload id (STYLE.md 6). The journal is only a hint; the
// canister's `upload_status` is the truth, checked before anything is trusted (STYLE.md 9).
import { Actor } from '@icp-sdk/core/agent';
import type { IcUploadService, UploadStatus } from '../../candid/ic_upload.js';
import type { ByteSource, Journal, JournalEntry } from './types.js';

/** The canister's default idle timeout (DESIGN: `upload_idle_timeout_s`, default 900). */
export const DEFAULT_IDLE_TIMEOUT_MS = 900_000;

/** Identifies "the same upload of the same file" across runs. */
export function fingerprint(source: ByteSource, assetId: string, variant: string, chunkSize: number, namespace = ''): string {
  return ['ic-upload', namespace, assetId, variant, source.name, source.size, source.lastModified ?? '', chunkSize].join(':');
}

/**
 * The journal namespace of an agent-js actor: its canister and its identity's principal, so that
 * another identity (or canister) never finds, resumes or forgets someone else's uploads. Undefined
 * for an actor that is not agent-js's (a pic-js actor, a fake): the caller must then name one.
 */
export async function journalNamespaceOf(actor: IcUploadService): Promise<string | undefined> {
  let agent;
  let canisterId;
  try {
    agent = Actor.agentOf(actor as unknown as Actor);
    canisterId = Actor.canisterIdOf(actor as unknown as Actor).toText();
  } catch {
    return undefined;
  }
  if (!agent) return undefined;
  return `${canisterId}:${(await agent.getPrincipal()).toText()}`;
}

/** The entries of one namespace (fingerprints carry the namespace as their second field). */
export async function namespaceEntries(journal: Journal, namespace: string): Promise<Array<[string, JournalEntry]>> {
  const prefix = `ic-upload:${namespace}:`;
  return (await journal.entries()).filter(([fp, e]) => fp.startsWith(prefix) && (e.namespace === undefined || e.namespace === namespace));
}

export interface PruneOptions {
  /** Only this namespace's entries are looked at: another identity's stay untouched. */
  namespace: string;
  now: number;
  /** The canister's idle timeout: an upload untouched this long is gone. Default 900 s. */
  idleTimeoutMs?: number;
  /** When given, each entry is checked with `upload_status`; without it, only age decides. */
  actor?: IcUploadService;
}

/**
 * Drops the entries that can no longer be resumed: those the canister no longer knows as an open
 * upload of the same file (finished, aborted, expired, freed), and — when the canister can't be
 * asked — those older than the idle timeout, which the canister has expired by now. An entry the
 * canister still reports open is kept whatever its age (its chunks kept it alive).
 * Answers the fingerprints dropped.
 */
export async function pruneJournal(journal: Journal, options: PruneOptions): Promise<string[]> {
  const timeout = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const dropped: string[] = [];
  for (const [fp, entry] of await namespaceEntries(journal, options.namespace)) {
    let keep: boolean;
    if (options.actor && entry.uploadId !== undefined) {
      const answer = await options.actor.upload_status(BigInt(entry.uploadId));
      keep = 'Ok' in answer && 'Open' in answer.Ok.state && statusMatches(answer.Ok, entry);
    } else {
      // Without the canister to ask, or for an entry journalled before its `begin` was answered
      // (no upload id yet; the next run finds that upload through `my_uploads`), age decides.
      keep = options.now - entry.createdAt <= timeout;
    }
    if (!keep) {
      await journal.delete(fp);
      dropped.push(fp);
    }
  }
  return dropped;
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
    typeof e.createdAt === 'number' &&
    (e.namespace === undefined || typeof e.namespace === 'string');
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
