// From the first layout of the stable maps (records only; every index rebuilt on the heap in
// post_upgrade) to the second (indexes in stable maps, maintained as records change). The records
// keep their maps and read both codec versions, so migrating only enters each record into the new
// indexes. Sessions and blobs are walked by id (1 .. next id): direct lookups, never `items(start,
// n)`, which skips from the front. The walk is budgeted: post_upgrade does a first slice, timers the
// rest while the canister serves. Until it ends, listings and per-owner quotas see only the records
// entered so far; uploads, reads and deletes work throughout.
import type { CounterState } from './counters.js';
import { readU64Key, Reader, Writer } from './encoding.js';
import type { KeyValueStore } from './kv.js';
import { CONFIG_KEYS } from './memory.js';
import type { RollingHashes } from './session/hashing.js';
import type { UploadMeta } from './model/session_record.js';
import type { SessionService } from './session/service.js';
import type { AssetCatalogue } from './assets/catalogue.js';

export const LAYOUT_INDEXED = 2;

const PHASE_SESSIONS = 0;
const PHASE_BLOBS = 1;

interface Cursor {
  phase: number;
  nextId: bigint;
}

export interface MigrationDeps {
  config: KeyValueStore;
  hashStates: KeyValueStore;
  sessions: SessionService<UploadMeta>;
  uploads: AssetCatalogue;
  counters: CounterState;
  hashes: RollingHashes;
}

export class Migration {
  constructor(private readonly d: MigrationDeps) {}

  /** A fresh canister starts in the new layout. */
  markFresh(): void {
    this.d.config.insert(CONFIG_KEYS.layout, Uint8Array.of(LAYOUT_INDEXED));
  }

  /**
   * In post_upgrade, before the open sessions are loaded: from the first layout, the open set is
   * what the old pre_upgrade saved hash states for (every open upload), so open uploads resume at
   * once; the walk then enters everything else.
   */
  startIfNeeded(): void {
    if (this.d.config.get(CONFIG_KEYS.layout) !== undefined) return;
    for (const [key] of this.d.hashStates.items(0, this.d.hashStates.len())) {
      const session = this.d.sessions.get(readU64Key(key));
      if (session !== undefined && session.state.kind === 'open') this.d.sessions.index(session);
    }
    this.save({ phase: PHASE_SESSIONS, nextId: 1n });
    this.markFresh();
  }

  pending(): boolean {
    return this.d.config.get(CONFIG_KEYS.migration) !== undefined;
  }

  private load(): Cursor | undefined {
    const bytes = this.d.config.get(CONFIG_KEYS.migration);
    if (bytes === undefined) return undefined;
    const r = new Reader(bytes);
    const cursor = { phase: r.u8(), nextId: r.u64() };
    r.end();
    return cursor;
  }

  private save(cursor: Cursor): void {
    this.d.config.insert(CONFIG_KEYS.migration, new Writer(9).u8(cursor.phase).u64(cursor.nextId).finish());
  }

  /** Enters records while `more()` allows; answers true when the migration is complete. */
  step(more: () => boolean): boolean {
    const cursor = this.load();
    if (cursor === undefined) return true;
    const counters = this.d.counters.snapshot;
    if (cursor.phase === PHASE_SESSIONS) {
      for (; cursor.nextId < counters.nextUploadId; cursor.nextId++) {
        if (!more()) return this.pause(cursor);
        this.enterSession(cursor.nextId);
      }
      cursor.phase = PHASE_BLOBS;
      cursor.nextId = 1n;
    }
    for (; cursor.nextId < counters.nextBlobId; cursor.nextId++) {
      if (!more()) return this.pause(cursor);
      const blob = this.d.uploads.blob(cursor.nextId);
      if (blob !== undefined) this.d.uploads.indexExisting(blob);
    }
    this.d.config.remove(CONFIG_KEYS.migration);
    return true;
  }

  private pause(cursor: Cursor): boolean {
    this.save(cursor);
    return false;
  }

  /** An open session without a saved hash state restarts its hash at 0 (nothing unverified is used). */
  private enterSession(uploadId: bigint): void {
    const session = this.d.sessions.get(uploadId);
    if (session === undefined) return;
    const known = session.state.kind === 'open' && this.d.hashes.has(uploadId);
    this.d.sessions.index(session);
    if (session.state.kind === 'open' && !known) {
      this.d.hashes.start(uploadId);
      session.hashed = 0;
      session.hashedOffset = 0;
      this.d.sessions.save(session);
    }
  }
}

