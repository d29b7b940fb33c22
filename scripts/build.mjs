#!/usr/bin/env node
// Builds every canister listed in dfx.json with Azle, as dfx would (dfx sets
// CANISTER_CANDID_PATH), so that tests, benchmarks and the replica need no dfx.
// Usage: node scripts/build.mjs [canister ...]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embedCandidService } from './candid_metadata.mjs';

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
  const inputs = inputsDigest(name);
  if (upToDate(name, inputs)) {
    console.log(`${name} is up to date (inputs unchanged) -> .azle/${name}/${name}.wasm`);
    continue;
  }
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
  // The native method first: binaryen re-emits the module, and the metadata section goes on last.
  if (NATIVE_SHA256_CANISTERS.includes(name)) addToWasmFile(join(root, '.azle', name, `${name}.wasm`));
  embedCandidService(join(root, dfx.canisters[name].wasm), join(root, dfx.canisters[name].candid));
  console.log(`built ${name} in ${((Date.now() - started) / 1000).toFixed(1)} s -> .azle/${name}/${name}.wasm`);
  writeFileSync(stampFile(name), inputs + '\n');
}

// A build is skipped when nothing it reads has changed since the last one (`npm start` would
// otherwise spend 10 s rebuilding on every start): the canister's folder, the backend and the
// shared byte helpers it may import, the contract, the build scripts and the locked dependency
// versions, hashed together.
function inputsDigest(name) {
  const hash = createHash('sha256');
  const roots = [dirname(dfx.canisters[name].main), 'src/backend', 'src/shared', 'candid', 'scripts', 'dfx.json', 'package-lock.json', 'tsconfig.json'];
  const files = [...new Set(roots.flatMap((r) => listFiles(join(root, r))))].sort();
  for (const file of files) hash.update(`${relative(root, file)}\0`).update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

function listFiles(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((entry) => listFiles(join(path, entry)));
}

function stampFile(name) {
  return join(root, '.azle', name, '.inputs-sha256');
}

function upToDate(name, inputs) {
  const wasm = join(root, dfx.canisters[name].wasm);
  return existsSync(wasm) && existsSync(stampFile(name)) && readFileSync(stampFile(name), 'utf8').trim() === inputs;
}
