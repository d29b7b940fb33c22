// Generic session lifecycle and chunk bookkeeping (DESIGN.md, "Components"): create, receive
// chunks into a bitmap, move a frontier, touch, close, expire, prune. Nothing upload-specific:
// the upload metadata rides along in `meta` unread. Open sessions are kept on the heap as well
// (write-through), so a put_chunk decodes nothing; every change is saved before the message ends.
import { ChunkBitmap } from '../bitmap.js';
import { u64Key } from '../encoding.js';
import type { KeyValueStore } from '../kv.js';
import { principalKey } from '../platform.js';
import { decodeSession, encodeSession } from '../upload/codec.js';
import type { SessionRecord, SessionState, UploadMeta } from '../upload/types.js';

export interface NewSession {
  uploadId: bigint;
  owner: Uint8Array;
  sessionKey: Uint8Array;
  size: bigint;
  chunkSize: number;
  chunkCount: number;
  meta: UploadMeta;
}

export function chunkCountOf(size: bigint, chunkSize: number): bigint {
  return (size + BigInt(chunkSize) - 1n) / BigInt(chunkSize);
}

/** Every chunk but the last has exactly chunkSize bytes; the last has the rest. */
export function chunkLength(session: Pick<SessionRecord, 'size' | 'chunkSize' | 'chunkCount'>, index: number): number {
  if (index < session.chunkCount - 1) return session.chunkSize;
  return Number(session.size - BigInt(session.chunkSize) * BigInt(session.chunkCount - 1));
}

export function stateName(state: SessionState): string {
  return state.kind;
}

export class SessionService {
  private readonly open = new Map<bigint, SessionRecord>();
  /** owner → upload ids of every session record kept (open and closed). */
  private readonly byOwner = new Map<string, Set<bigint>>();
  /** closed session → when it closed, for pruning without a scan of stable memory. */
  private readonly closedAt = new Map<bigint, bigint>();

  constructor(private readonly store: KeyValueStore) {}

  /** Rebuilds the heap indexes from stable memory (init and post_upgrade). */
  load(): void {
    this.open.clear();
    this.byOwner.clear();
    this.closedAt.clear();
    const total = this.store.len();
    const page = 256;
    for (let start = 0; start < total; start += page) {
      for (const [, value] of this.store.items(start, page)) {
        const session = decodeSession(value);
        this.index(session);
        if (session.state.kind === 'open') this.open.set(session.uploadId, session);
        else this.closedAt.set(session.uploadId, session.updatedAtNs);
      }
    }
  }

  private index(session: SessionRecord): void {
    const key = principalKey(session.owner);
    let ids = this.byOwner.get(key);
    if (ids === undefined) this.byOwner.set(key, (ids = new Set()));
    ids.add(session.uploadId);
  }

  create(fields: NewSession, nowNs: bigint, timeoutNs: bigint): SessionRecord {
    const session: SessionRecord = {
      ...fields,
      received: ChunkBitmap.empty(fields.chunkCount),
      receivedCount: 0,
      hashed: 0,
      hashedOffset: 0,
      createdAtNs: nowNs,
      updatedAtNs: nowNs,
      expiresAtNs: nowNs + timeoutNs,
      state: { kind: 'open' }
    };
    this.open.set(session.uploadId, session);
    this.index(session);
    this.save(session);
    return session;
  }

  get(uploadId: bigint): SessionRecord | undefined {
    const open = this.open.get(uploadId);
    if (open !== undefined) return open;
    const bytes = this.store.get(u64Key(uploadId));
    return bytes === undefined ? undefined : decodeSession(bytes);
  }

  save(session: SessionRecord): void {
    this.store.insert(u64Key(session.uploadId), encodeSession(session));
  }

  openSessions(): IterableIterator<SessionRecord> {
    return this.open.values();
  }

  openCount(): number {
    return this.open.size;
  }

  openCountOf(owner: Uint8Array): number {
    let count = 0;
    for (const id of this.byOwner.get(principalKey(owner)) ?? []) if (this.open.has(id)) count++;
    return count;
  }

  /**
   * The owner's session records by upload id, chosen open ones first (newest first), then the
   * most recent closed ones: at most `limit` records, and only while their `received` indexes
   * total at most `maxIndexes`. A record is listed whole or not at all — `received` is never cut
   * short — and one that doesn't fit is skipped for smaller ones.
   */
  ofOwner(owner: Uint8Array, limit: number, maxIndexes: number): SessionRecord[] {
    const ids = [...(this.byOwner.get(principalKey(owner)) ?? [])].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    const open = ids.filter((id) => this.open.has(id));
    const closed = ids.filter((id) => !this.open.has(id));
    const out: SessionRecord[] = [];
    let indexes = 0;
    for (const id of [...open, ...closed].slice(0, limit)) {
      const session = this.get(id);
      if (session === undefined || indexes + session.receivedCount > maxIndexes) continue;
      indexes += session.receivedCount;
      out.push(session);
    }
    return out.sort((a, b) => (a.uploadId < b.uploadId ? -1 : a.uploadId > b.uploadId ? 1 : 0));
  }

  /** Records a chunk as received (the caller has stored it); answers false if it already was. */
  markReceived(session: SessionRecord, index: number): boolean {
    if (!session.received.set(index)) return false;
    session.receivedCount++;
    return true;
  }

  /** The end of the run of received chunks starting at the frontier. */
  contiguousEnd(session: SessionRecord): number {
    return session.received.firstMissingFrom(session.hashed);
  }

  touch(session: SessionRecord, nowNs: bigint, timeoutNs: bigint): void {
    session.updatedAtNs = nowNs;
    session.expiresAtNs = nowNs + timeoutNs;
  }

  close(session: SessionRecord, state: SessionState, nowNs: bigint): void {
    session.state = state;
    session.updatedAtNs = nowNs;
    this.open.delete(session.uploadId);
    this.closedAt.set(session.uploadId, nowNs);
    this.save(session);
  }

  /** Open sessions whose expiry time has passed, at most `max`. */
  expired(nowNs: bigint, max: number): SessionRecord[] {
    const out: SessionRecord[] = [];
    for (const session of this.open.values()) {
      if (out.length >= max) break;
      if (session.expiresAtNs <= nowNs) out.push(session);
    }
    return out;
  }

  /**
   * Removes closed session records closed before `cutoffNs`, each only while `more()` allows;
   * answers true when none is left to remove.
   */
  pruneClosed(cutoffNs: bigint, more: () => boolean): boolean {
    for (const [id, closedAtNs] of this.closedAt) {
      if (closedAtNs >= cutoffNs) continue;
      if (!more()) return false;
      this.closedAt.delete(id);
      const bytes = this.store.remove(u64Key(id));
      if (bytes === undefined) continue;
      const owner = principalKey(decodeSession(bytes).owner);
      const ids = this.byOwner.get(owner);
      ids?.delete(id);
      if (ids?.size === 0) this.byOwner.delete(owner);
    }
    return true;
  }
}
