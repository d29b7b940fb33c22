// The native SHA-256 method's name and wire format, shared by the generator (build time, plain
// Node) and the canister's caller (native_sha256.ts, bundled by Azle). The layout is described in
// sha256_wasm.mjs.

/** The exported update method's name (reached as `canister_update <name>`). */
export const NATIVE_SHA256_METHOD = '_ic_upload_sha256';
/** State words (32), total length (8), partial block (64). */
export const MIDSTATE_BYTES = 104;
/** Midstate, flags (4), reserved (4); the bytes to absorb follow. */
export const HEADER_BYTES = 112;
/** Also answer the digest of the whole stream. */
export const FLAG_FINAL = 1;
/** Also answer the SHA-256 of the call's bytes alone. */
export const FLAG_CHUNK_DIGEST = 2;
/**
 * Set by the build's call shim, never by a caller: the bytes stayed in the canister's memory and
 * a reference follows the header instead (call_stash.mjs).
 */
export const FLAG_STASHED = 4;
