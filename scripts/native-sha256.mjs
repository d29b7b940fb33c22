// Post-`azle build` step: adds the native SHA-256 update method (src/backend/native/sha256_wasm.mjs)
// to a canister's Wasm, in place, the way Azle itself adds its method proxies with binaryen.
// Usage: node scripts/native-sha256.mjs <file.wasm> (scripts/build.mjs calls addToWasmFile).
import binaryen from 'binaryen';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { NATIVE_SHA256_METHOD, addNativeSha256 } from '../src/backend/native/sha256_wasm.mjs';

/** The canisters whose Wasm carries the method: the product and the test canister that verifies it. */
export const NATIVE_SHA256_CANISTERS = ['ic_upload', 'native_hash', 'upload_seeded'];

/** Returns `wasm` with the method added; a module that already has it is returned unchanged. */
export function addToWasm(wasm) {
  const module = binaryen.readBinary(wasm);
  try {
    for (let i = 0; i < module.getNumExports(); i++) {
      if (binaryen.getExportInfo(module.getExportByIndex(i)).name === `canister_update ${NATIVE_SHA256_METHOD}`) return wasm;
    }
    // The method's message schedule uses fixed-width SIMD, which the IC executes (deterministic
    // SIMD; costs in src/replica/wasm/costs.ts); the module keeps every feature it had besides.
    module.setFeatures(module.getFeatures() | binaryen.Features.SIMD128);
    addNativeSha256(binaryen, module);
    if (!module.validate()) throw new Error(`the module with ${NATIVE_SHA256_METHOD} does not validate`);
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

export function addToWasmFile(path) {
  writeFileSync(path, addToWasm(readFileSync(path)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const path of process.argv.slice(2)) addToWasmFile(path);
}
