// Every stable memory id of the canister, in one place (DESIGN.md, "Stable memory"). An id is
// never reused for another key or value type: changing a map's types means a new id and a
// migration. Azle keeps 254 for itself and ic-stable-structures 255.

export const MEMORY_IDS = {
  /** Fixed keys (CONFIG_KEYS) → limits, counters. */
  config: 0,
  /** upload id (u64 BE) → session record. */
  sessions: 1,
  /** session key (32 bytes) ‖ chunk index (u32 BE) → chunk bytes as they arrived. */
  chunks: 2,
  /** blob id (u64 BE) → blob record. */
  blobs: 3,
  /** asset id (UTF-8) → asset record. */
  assets: 4,
  /** upload id (u64 BE) → SHA-256 midstate, written in pre_upgrade, consumed in post_upgrade. */
  hashStates: 5,
  /** session key → chunks of a freed blob or session still to remove. */
  garbage: 6
} as const;

export const CONFIG_KEYS = {
  limits: Uint8Array.of(1),
  counters: Uint8Array.of(2),
  /** u64: instructions pre_upgrade used, carried to post_upgrade (then removed). */
  preUpgradeInstructions: Uint8Array.of(3),
  /** u64: instructions the last upgrade's hooks used, pre_upgrade + post_upgrade. */
  upgradeInstructions: Uint8Array.of(4)
} as const;
