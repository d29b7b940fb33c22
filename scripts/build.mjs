#!/usr/bin/env node
// Builds every canister listed in dfx.json with Azle, as dfx would (dfx sets
// CANISTER_CANDID_PATH), so that tests, benchmarks and the replica need no dfx.
// Usage: node scripts/build.mjs [canister ...]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { NATIVE_SHA256_CANISTERS, addToWasmFile } from './native-sha256.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dfx = JSON.parse(readFileSync(join(root, 'dfx.json'), 'utf8'));
const wanted = process.argv.slice(2);
const names = Object.keys(dfx.canisters).filter(
  (n) => (wanted.length === 0 || wanted.includes(n)) && existsSync(join(root, dfx.canisters[n].main))
);
const azle = join(root, 'node_modules', '.bin', 'azle');

for (const name of names) {
  const started = Date.now();
  const result = spawnSync(azle, ['build', name], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CANISTER_CANDID_PATH: join('.azle', `${name}.did`) }
  });
  if (result.status !== 0) {
    process.stderr.write(result.stdout);
    process.stderr.write(result.stderr);
    console.error(`azle build ${name} failed (exit ${result.status})`);
    process.exit(1);
  }
  if (NATIVE_SHA256_CANISTERS.includes(name)) addToWasmFile(join(root, '.azle', name, `${name}.wasm`));
  console.log(`built ${name} in ${((Date.now() - started) / 1000).toFixed(1)} s -> .azle/${name}/${name}.wasm`);
}
