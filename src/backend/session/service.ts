// Generic session lifecycle and chunk bookkeeping (the lowest layer of src/backend): create, receive
// chunks into a bitmap, move a frontier, touch, close, expire, prune. Nothing upload-specific:
// what a session is about rides along in `meta` (type M) unread, and records are stored with the
// codec the layer above passes in. Open sessions are kept on the heap as well
// (write-through), so a put_chunk decodes nothing; every change is saved before the message ends.
// Every index lives in a stable map and changes with its record, so nothing is rebuilt on upgrade.
import { ChunkBitmap } from '../bitmap.js';
import { readU64Key, u64Key } from '../encoding.js';
import { closedQueueKey, ownerPrefix, readClosedQueueKey } from '../keys.js';
import type { KeyValueStore } from '../kv.js';
import { principalKey } from '../platform.js';
import { IdLists } from './id_lists.js';
import type { Session, SessionCodec, SessionState } from './record.js';

const EMPTY = new Uint8Array(0);

/** What a new session starts from; the rest of its record starts empty. */
export type NewSession<M> = Pick<Session<M>, 'uploadId' | 'owner' | 'sessionKey' | 'size' | 'chunkSize' | 'chunkCount' | 'meta'>;

export function chunkCountOf(size: bigint, chunkSize: number): bigint {
  return (size + BigInt(chunkSize) - 1n) / BigInt(chunkSize);
}

/** Every chunk but the last has exactly chunkSize bytes; the last has the rest. */
export function chunkLength(session: Pick<Session<unknown>, 'size' | 'chunkSize' | 'chunkCount'>, index: number): number {
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

export class SessionService<M> {
  /** The open sessions (at most max_open_uploads), write-through: a put_chunk decodes nothing. */
  private readonly open = new Map<bigint, Session<M>>();
  /** owner → open sessions and their declared bytes, for the per-caller limits. */
  private readonly openByOwner = new Map<string, { count: number; bytes: bigint }>();
  private readonly lists: IdLists;

  constructor(
    private readonly stores: SessionStores,
    private readonly codec: SessionCodec<M>
  ) {
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

  private remember(session: Session<M>): void {
    this.open.set(session.uploadId, session);
    const owner = principalKey(session.owner);
    const held = this.openByOwner.get(owner) ?? { count: 0, bytes: 0n };
    this.openByOwner.set(owner, { count: held.count + 1, bytes: held.bytes + session.size });
  }

  private forget(session: Session<M>): void {
    this.open.delete(session.uploadId);
    const owner = principalKey(session.owner);
    const held = this.openByOwner.get(owner);
    if (held === undefined) return;
    if (held.count > 1) this.openByOwner.set(owner, { count: held.count - 1, bytes: held.bytes - session.size });
    else this.openByOwner.delete(owner);
  }

  create(fields: NewSession<M>, nowNs: bigint, timeoutNs: bigint): Session<M> {
    const session: Session<M> = {
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
  index(session: Session<M>): void {
    if (session.state.kind === 'open') {
      if (!this.open.has(session.uploadId)) this.remember(session);
      this.stores.open.insert(u64Key(session.uploadId), EMPTY);
      this.lists.pushFront(ownerList(session.owner, OPEN_LIST), session.uploadId);
    } else {
      this.stores.closedQueue.insert(closedQueueKey(session.updatedAtNs, session.uploadId), EMPTY);
      this.lists.pushFront(ownerList(session.owner, CLOSED_LIST), session.uploadId);
    }
  }

  get(uploadId: bigint): Session<M> | undefined {
    const open = this.open.get(uploadId);
    if (open !== undefined) return open;
    const bytes = this.stores.records.get(u64Key(uploadId));
    return bytes === undefined ? undefined : this.codec.decode(bytes);
  }

  save(session: Session<M>): void {
    this.stores.records.insert(u64Key(session.uploadId), this.codec.encode(session));
  }

  openSessions(): IterableIterator<Session<M>> {
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
  ofOwner(owner: Uint8Array, limit: number, maxIndexes: number): Session<M>[] {
    const out: Session<M>[] = [];
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
  markReceived(session: Session<M>, index: number): boolean {
    if (!session.received.set(index)) return false;
    session.receivedCount++;
    return true;
  }

  /** The end of the run of received chunks starting at the frontier. */
  contiguousEnd(session: Session<M>): number {
    return session.received.firstMissingFrom(session.hashed);
  }

  touch(session: Session<M>, nowNs: bigint, timeoutNs: bigint): void {
    session.updatedAtNs = nowNs;
    session.expiresAtNs = nowNs + timeoutNs;
  }

  close(session: Session<M>, state: SessionState, nowNs: bigint): void {
    session.state = state;
    session.updatedAtNs = nowNs;
    this.forget(session);
    this.stores.open.remove(u64Key(session.uploadId));
    this.lists.remove(ownerList(session.owner, OPEN_LIST), session.uploadId);
    this.save(session);
    this.index(session);
  }

  /** Open sessions whose expiry time has passed, at most `max`. */
  expired(nowNs: bigint, max: number): Session<M>[] {
    const out: Session<M>[] = [];
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
  pruneClosed(cutoffNs: bigint, more: () => boolean, removed: (session: Session<M>) => void): boolean {
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
        const session = this.codec.decode(bytes);
        this.lists.remove(ownerList(session.owner, CLOSED_LIST), uploadId);
        removed(session);
      }
    }
  }
}
