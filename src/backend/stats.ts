// The `stats` query's figures, read from the counters, the maps' sizes and the config map.
import { readU64Key } from './encoding.js';
import type { KeyValueStore } from './kv.js';
import { CONFIG_KEYS } from './memory.js';
import type { CounterState } from './counters.js';
import type { AssetCatalogue } from './assets/catalogue.js';
import type { SessionService } from './session/service.js';
import type { UploadMeta } from './model/session_record.js';

export interface StatsView {
  openUploads: number;
  blobs: number;
  assets: number;
  storedBytes: bigint;
  stableMemoryBytes: bigint;
  upgradeInstructions: bigint | undefined;
}

export class CanisterStats {
  constructor(
    private readonly config: KeyValueStore,
    private readonly counters: CounterState,
    private readonly sessions: SessionService<UploadMeta>,
    private readonly catalogue: AssetCatalogue
  ) {}

  /** What the last upgrade's hooks used (lifecycle.ts); undefined before the first upgrade. */
  upgradeInstructions(): bigint | undefined {
    const bytes = this.config.get(CONFIG_KEYS.upgradeInstructions);
    return bytes === undefined ? undefined : readU64Key(bytes);
  }

  /**
   * `stable_memory_bytes` is a logical figure: the bytes of every key and value held in the
   * canister's stable maps (config excepted), kept exact as the maps change (kv.ts CountingStore).
   * It is NOT the size of the canister's stable memory: Azle 0.33's stable mode offers no API for
   * that (its System API bindings have no ic0.stable64_size), and the real size is larger — B-tree nodes, the memory
   * manager's buckets, and pages freed by removals, which stable memory never gives back.
   * `stored_bytes` is the chunk bytes alone (open uploads, blobs, and garbage not yet freed).
   */
  read(): StatsView {
    const counters = this.counters.snapshot;
    return {
      upgradeInstructions: this.upgradeInstructions(),
      openUploads: this.sessions.openCount(),
      blobs: this.catalogue.blobCount(),
      assets: this.catalogue.assetCount(),
      storedBytes: counters.storedBytes,
      stableMemoryBytes: counters.mapBytes
    };
  }
}
