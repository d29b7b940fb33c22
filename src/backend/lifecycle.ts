// Install and upgrade: the limits from the arguments, the migration's start, the heap state
// rebuilt from what is bounded by the open uploads, open uploads' SHA-256 midstates carried
// across the heap reset, and the upgrade's instruction figure.
import { decodeHashState, encodeHashState } from './model/hash_state_record.js';
import { readU64Key, u64Key } from './encoding.js';
import type { KeyValueStore } from './kv.js';
import { CONFIG_KEYS } from './memory.js';
import type { CounterState } from './counters.js';
import type { Migration } from './migration.js';
import type { Platform } from './platform.js';
import type { InitArgsInput, LimitsInForce } from './init_args.js';
import type { AssetServer } from './http/asset_server.js';
import type { BackgroundWork } from './timers.js';
import { hashedBytes, type RollingHashes } from './session/hashing.js';
import type { SessionService } from './session/service.js';
import type { UploadMeta } from './model/session_record.js';

export interface LifecycleDeps {
  config: KeyValueStore;
  hashStates: KeyValueStore;
  platform: Platform;
  counters: CounterState;
  limits: LimitsInForce;
  sessions: SessionService<UploadMeta>;
  hashes: RollingHashes;
  migration: Migration;
  server: AssetServer;
  work: BackgroundWork;
}

/** Bytes a midstate in the JavaScript Sha256's export format covers (its length field). */
function midstateCovers(state: Uint8Array): bigint {
  return new DataView(state.buffer, state.byteOffset, state.byteLength).getBigUint64(33, false);
}

export class Lifecycle {
  constructor(private readonly d: LifecycleDeps) {}

  init(args: InitArgsInput | undefined): void {
    this.d.limits.install(args);
    this.d.migration.markFresh();
    this.d.server.init();
    this.load();
    this.d.counters.flush();
  }

  /** Saves every open upload's SHA-256 midstate, so that it survives the heap reset. */
  preUpgrade(): void {
    for (const [uploadId, state] of this.d.hashes.exportStates()) {
      const session = this.d.sessions.get(uploadId);
      if (session === undefined || session.state.kind !== 'open') continue;
      this.d.hashStates.insert(u64Key(uploadId), encodeHashState(hashedBytes(session), state));
    }
    this.d.counters.flush();
    this.d.config.insert(CONFIG_KEYS.preUpgradeInstructions, u64Key(this.d.platform.instructionCounter()));
  }

  postUpgrade(args: InitArgsInput | undefined): void {
    this.d.limits.upgrade(args);
    this.d.counters.load();
    this.d.migration.startIfNeeded();
    this.load();
    this.restoreHashStates();
    this.d.server.postUpgrade();
    if (this.d.migration.pending()) this.d.work.onMigrationTimer();
    this.d.counters.flush();
    this.recordUpgradeInstructions();
  }

  /** Last: the figure covers everything post_upgrade did, plus what pre_upgrade carried across. */
  private recordUpgradeInstructions(): void {
    const carried = this.d.config.remove(CONFIG_KEYS.preUpgradeInstructions);
    const pre = carried === undefined ? 0n : readU64Key(carried);
    this.d.config.insert(CONFIG_KEYS.upgradeInstructions, u64Key(pre + this.d.platform.instructionCounter()));
  }

  private load(): void {
    this.d.counters.load();
    this.d.sessions.load();
    this.d.work.start();
  }

  /**
   * Nothing unverified is used: a state whose length disagrees with its frontier restarts at 0,
   * and so does one that stops inside a chunk (saved by a version that hashed in JavaScript
   * slices). Chunk digests behind the frontier may be missing (a private upload writes none):
   * HTTP serving computes whatever a blob made public lacks.
   */
  private restoreHashStates(): void {
    const { sessions, hashes, hashStates } = this.d;
    for (const session of [...sessions.openSessions()]) {
      const saved = hashStates.remove(u64Key(session.uploadId));
      let restored = false;
      if (saved !== undefined && session.hashedOffset === 0) {
        try {
          const { hashedBytes: covered, state } = decodeHashState(saved);
          restored = covered === hashedBytes(session) && hashes.restore(session.uploadId, state);
          if (restored && midstateCovers(state) !== covered) restored = false;
        } catch {
          restored = false;
        }
      }
      if (!restored) {
        hashes.start(session.uploadId);
        session.hashed = 0;
        session.hashedOffset = 0;
        sessions.save(session);
      }
      if (session.hashed < sessions.contiguousEnd(session)) this.d.work.scheduleHashing();
    }
    // States of sessions that are no longer open (one call: paging would skip from the front).
    for (const [key] of hashStates.items(0, hashStates.len())) hashStates.remove(key);
  }
}
