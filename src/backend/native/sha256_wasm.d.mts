import type binaryen from 'binaryen';

export { FLAG_CHUNK_DIGEST, FLAG_FINAL, FLAG_STASHED, HEADER_BYTES, MIDSTATE_BYTES, NATIVE_SHA256_METHOD } from './format.mjs';

/** Adds the native SHA-256 update method to a binaryen module (see sha256_wasm.mjs). */
export declare function addNativeSha256(b: typeof binaryen, module: binaryen.Module): void;
