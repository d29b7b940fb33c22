// Every stable memory id of the canister, in one place. An id is
// never reused for another key or value type: changing a map's types means a new id and a
// migration. Azle keeps 254 for itself and ic-stable-structures 255.

export const MEMORY_IDS = {
  /** Fixed keys (CONFIG_KEYS) → limits, counters. */
  config: 0,
  /** upload id (u64 BE) → session record. */
  sessions: 1,
  /**
   * session key (32 bytes) ‖ chunk index (u32 BE) → chunk bytes as they arrived: chunks over
   * 512 KiB, and chunks of any size stored before the size classes (assets/blob_store.ts).
   */
  chunks: 2,
  /** blob id (u64 BE) → blob record. */
  blobs: 3,
  /** asset id (UTF-8) → asset record. */
  assets: 4,
  /** upload id (u64 BE) → SHA-256 midstate, written in pre_upgrade, consumed in post_upgrade. */
  hashStates: 5,
  /** session key → chunks of a freed blob or session still to remove. */
  garbage: 6,
  /** upload id (u64 BE) → nothing: the open sessions, all that post_upgrade loads. */
  openSessions: 7,
  /** close time (u64 BE) ‖ upload id (u64 BE) → nothing: closed sessions, oldest first. */
  closedQueue: 8,
  /** owner prefix ‖ list (1 byte) [‖ upload id] → links: each owner's open / closed sessions. */
  ownerUploads: 9,
  /** owner prefix [‖ asset id] → skip-list forward pointers: each owner's assets in order. */
  ownerAssets: 10,
  /** owner prefix → the owner's asset count and stored bytes. */
  ownerTotals: 11,
  /** owner prefix ‖ idempotency key → upload id. */
  idempotency: 12,
  /** node key (32 bytes) or the root's key → a node of the HTTP certification tree (http/certification_tree.ts). */
  httpTree: 13,
  /**
   * session key (32 bytes) ‖ chunk index (u32 BE) → the chunk's own SHA-256 (32 bytes), written as
   * the rolling hash passes the chunk, removed with the chunk (assets/chunk_digests.ts).
   */
  chunkDigests: 14,
  /**
   * asset id (UTF-8) → its certification job: public assets waiting for chunk digests, or whose
   * entries are being staged (http/asset_server.ts).
   */
  httpPending: 15,
  /** asset id (UTF-8) → the flags (u8) its certified HTTP responses were made with (http/asset_server.ts). */
  httpServed: 16,
  /** As `chunks`, for chunks of at most 64 KiB (assets/blob_store.ts). */
  smallChunks: 17,
  /** As `chunks`, for chunks over 64 KiB and at most 512 KiB (assets/blob_store.ts). */
  mediumChunks: 18
} as const;

/**
 * Ids once used and retired: never to be given to another map. (None yet: the first layout's
 * maps 0–6 are still in use; the second layout added 7–12 and migrates into them.)
 */
export const RETIRED_MEMORY_IDS: readonly number[] = [];

export const CONFIG_KEYS = {
  limits: Uint8Array.of(1),
  counters: Uint8Array.of(2),
  /** u64: instructions pre_upgrade used, carried to post_upgrade (then removed). */
  preUpgradeInstructions: Uint8Array.of(3),
  /** u64: instructions the last upgrade's hooks used, pre_upgrade + post_upgrade. */
  upgradeInstructions: Uint8Array.of(4),
  /** u8: the layout of the stable maps (absent: the first, without indexes; see migration.ts). */
  layout: Uint8Array.of(5),
  /** The migration's cursor while one runs (migration.ts). */
  migration: Uint8Array.of(6),
  /**
   * The scan that certifies assets made public before HTTP serving existed: the next position
   * in the assets map (u64), absent once done (or on a canister that started with serving).
   */
  httpBackfill: Uint8Array.of(7),
  /** u8 1: HTTP serving's state has been set up (by init, or by the first upgrade that had it). */
  httpReady: Uint8Array.of(8)
} as const;
