// Generic session lifecycle and chunk bookkeeping (DESIGN.md, "Components"): create, receive
// chunks into a bitmap, move a frontier, touch, close, expire, prune. Nothing upload-specific:
// the upload metadata rides along in `meta` unread. Open sessions are kept on the heap as well
// (write-through), so a put_chunk decodes nothing; every change is saved before the message ends.
// Every index lives in a stable map and changes with its record, so nothing is rebuilt on upgrade.
import { ChunkBitmap } from '../bitmap.js';
import { readU64Key, u64Key } from '../encoding.js';
import { closedQueueKey, ownerPrefix, readClosedQueueKey } from '../keys.js';
import type { KeyValueStore } from '../kv.js';
import { principalKey } from '../platform.js';
import { decodeSession, encodeSession } from '../model/codec.js';
import type { SessionRecord, SessionState, UploadMeta } from '../model/types.js';
import { IdLists } from './id_lists.js';

const EMPTY = new Uint8Array(0);

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

/** The stores a SessionService keeps its records and indexes in. */
export interface SessionStores {
  /** upload id → session record. */
  records: KeyValueStore;
  /** upload id → nothing: the open sessions, all that post_upgrade loads. */
  open: KeyValueStore;
  /** close time ‖ upload id → nothing: closed sessions, oldest first, for pruning. */
  closedQueue: KeyValueStore;
  /** Each owner's open and closed sessions, newest first (IdLists). */
  ownerLists: KeyValueStore;
}

const OPEN_LIST = 0;
const CLOSED_LIST = 1;

function ownerList(owner: Uint8Array, which: number): Uint8Array {
  const prefix = ownerPrefix(owner);
  const list = new Uint8Array(prefix.length + 1);
  list.set(prefix);
  list[prefix.length] = which;
  return list;
}

export class SessionService {
  /** The open sessions (at most max_open_uploads), write-through: a put_chunk decodes nothing. */
  private readonly open = new Map<bigint, SessionRecord>();
  /** owner → open sessions and their declared bytes, for the per-caller limits. */
  private readonly openByOwner = new Map<string, { count: number; bytes: bigint }>();
  private readonly lists: IdLists;

  constructor(private readonly stores: SessionStores) {
    this.lists = new IdLists(stores.ownerLists);
  }

  /** Loads the open sessions: work bounded by max_open_uploads, whatever else is stored. */
  load(): void {
    this.open.clear();
    this.openByOwner.clear();
    // One call for all keys: paging with items(start, n) would skip from the front each time.
    for (const [key] of this.stores.open.items(0, this.stores.open.len())) {
      const session = this.get(readU64Key(key));
      if (session !== undefined && session.state.kind === 'open') this.remember(session);
    }
  }

  private remember(session: SessionRecord): void {
    this.open.set(session.uploadId, session);
    const owner = principalKey(session.owner);
    const held = this.openByOwner.get(owner) ?? { count: 0, bytes: 0n };
    this.openByOwner.set(owner, { count: held.count + 1, bytes: held.bytes + session.size });
  }

  private forget(session: SessionRecord): void {
    this.open.delete(session.uploadId);
    const owner = principalKey(session.owner);
    const held = this.openByOwner.get(owner);
    if (held === undefined) return;
    if (held.count > 1) this.openByOwner.set(owner, { count: held.count - 1, bytes: held.bytes - session.size });
    else this.openByOwner.delete(owner);
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
    this.save(session);
    this.index(session);
    return session;
  }

  /**
   * Enters a stored session into the indexes (idempotent): for a new session, and for one found
   * while migrating from the layout without indexes.
   */
  index(session: SessionRecord): void {
    if (session.state.kind === 'open') {
      if (!this.open.has(session.uploadId)) this.remember(session);
      this.stores.open.insert(u64Key(session.uploadId), EMPTY);
      this.lists.pushFront(ownerList(session.owner, OPEN_LIST), session.uploadId);
    } else {
      this.stores.closedQueue.insert(closedQueueKey(session.updatedAtNs, session.uploadId), EMPTY);
      this.lists.pushFront(ownerList(session.owner, CLOSED_LIST), session.uploadId);
    }
  }

  get(uploadId: bigint): SessionRecord | undefined {
    const open = this.open.get(uploadId);
    if (open !== undefined) return open;
    const bytes = this.stores.records.get(u64Key(uploadId));
    return bytes === undefined ? undefined : decodeSession(bytes);
  }

  save(session: SessionRecord): void {
    this.stores.records.insert(u64Key(session.uploadId), encodeSession(session));
  }

  openSessions(): IterableIterator<SessionRecord> {
    return this.open.values();
  }

  openCount(): number {
    return this.open.size;
  }

  openCountOf(owner: Uint8Array): number {
    return this.openByOwner.get(principalKey(owner))?.count ?? 0;
  }

  /** The sizes the owner's open sessions declared. */
  openBytesOf(owner: Uint8Array): bigint {
    return this.openByOwner.get(principalKey(owner))?.bytes ?? 0n;
  }

  /**
   * The owner's session records, open ones first (newest first), then the most recently closed:
   * at most `limit` records looked at, and only while their `received` indexes total at most
   * `maxIndexes`. A record is listed whole or not at all — `received` is never cut short — and
   * one that doesn't fit is skipped for smaller ones. Answered in upload id order.
   */
  ofOwner(owner: Uint8Array, limit: number, maxIndexes: number): SessionRecord[] {
    const out: SessionRecord[] = [];
    let looked = 0;
    let indexes = 0;
    for (const which of [OPEN_LIST, CLOSED_LIST]) {
      for (const id of this.lists.walk(ownerList(owner, which))) {
        if (looked++ >= limit) break;
        const session = this.get(id);
        if (session === undefined || indexes + session.receivedCount > maxIndexes) continue;
        indexes += session.receivedCount;
        out.push(session);
      }
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
    this.forget(session);
    this.stores.open.remove(u64Key(session.uploadId));
    this.lists.remove(ownerList(session.owner, OPEN_LIST), session.uploadId);
    this.save(session);
    this.index(session);
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
   * Removes closed session records closed before `cutoffNs`, oldest first, each only while
   * `more()` allows, reading only the front of the queue; `removed` hears of each. Answers true
   * when none is left to remove.
   */
  pruneClosed(cutoffNs: bigint, more: () => boolean, removed: (session: SessionRecord) => void): boolean {
    for (;;) {
      const front = this.stores.closedQueue.items(0, 16);
      if (front.length === 0) return true;
      for (const [key] of front) {
        const { closedAtNs, uploadId } = readClosedQueueKey(key);
        if (closedAtNs >= cutoffNs) return true;
        if (!more()) return false;
        this.stores.closedQueue.remove(key);
        const bytes = this.stores.records.remove(u64Key(uploadId));
        if (bytes === undefined) continue;
        const session = decodeSession(bytes);
        this.lists.remove(ownerList(session.owner, CLOSED_LIST), uploadId);
        removed(session);
      }
    }
  }
}
