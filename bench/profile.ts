// Where a put_chunk's instructions go, per Wasm function: the replica's opt-in profiler
// (IC_UPLOAD_REPLICA_PROFILE, src/replica/wasm/prepare.ts) counts what each function of the module
// was charged; this names them from Azle's canister template (whose name section survives; the
// built module's is stripped) and prints the top functions of each execution of one in-order
// put_chunk of 1.9 MB on ic_upload (put_chunk, the native method, the callback); `small` instead
// prints each execution of one 10 KB upload as the client makes it (begin, put_chunk, the hashing
// self-call and its callback, finish; ingress inspection included) and their sum.
//   npx tsx bench/profile.ts [top N] [private|public|small|store]
// Instructions are the IC's metering; "System API" is what the host charged (copies, calls).
process.env.IC_UPLOAD_REPLICA_PROFILE = '1';

import binaryen from 'binaryen';
import type { IDL } from '@icp-sdk/core/candid';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';

const { beginRandomUpload, startReplica } = await import('./support.js');
const { Canister } = await import('../src/replica/canister.js');
const { PROFILE_EXPORT_PREFIX } = await import('../src/replica/wasm/instrument.js');

const TOP = Number(process.argv[2] ?? 25);
const MODE = process.argv[3] ?? 'private';
const PUBLIC = MODE === 'public';
const SMALL = MODE === 'small';
const CHUNK = 1_900_000;
/** put_chunk's figures are per byte of its chunk; a small upload's in millions of instructions. */
const UNIT = SMALL ? { per: 1e6, name: 'M' } : { per: CHUNK, name: '/byte' };
const WASM = MODE === 'store' ? '.azle/native_hash/native_hash.wasm' : '.azle/ic_upload/ic_upload.wasm';
const TEMPLATE = 'node_modules/azle/dist/canister_templates/stable.wasm';

interface Fn {
  name: string;
  params: number;
  results: number;
  vars: number;
}
function definedFunctions(path: string): Fn[] {
  const m = binaryen.readBinary(readFileSync(path));
  try {
    const out: Fn[] = [];
    for (let i = 0; i < m.getNumFunctions(); i++) {
      const f = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
      if (!f.module) out.push({ name: f.name, params: f.params, results: f.results, vars: f.vars.length });
    }
    return out;
  } finally {
    m.dispose();
  }
}

/** The built module's defined functions named after the template's, matched in order by signature. */
function names(): string[] {
  const template = definedFunctions(TEMPLATE);
  const built = definedFunctions(WASM);
  const same = (a: Fn, b: Fn) => a.params === b.params && a.results === b.results && a.vars === b.vars;
  let j = 0;
  return built.map((f) => {
    while (j < template.length && !same(template[j], f)) j++;
    return j < template.length ? template[j++].name : `added ${f.name}`;
  });
}

const fnNames = names();
type Profile = { entry: string; total: bigint; perFn: Map<number, bigint> };
const profiles: Profile[] = [];
const read = (exports: WebAssembly.Exports) => fnNames.map((_, i) => (exports[`${PROFILE_EXPORT_PREFIX}${i}`] as WebAssembly.Global).value as bigint);
Canister.prototype.debugPrint = function (text: string) { if (process.env.PROFILE_PRINT) console.log(text); };
const execute = Canister.prototype.execute;
Canister.prototype.execute = function (this: InstanceType<typeof Canister>, req) {
  // The instance may be replaced during an execution (a rollback that re-instantiates): read the live one.
  const runtime = () => (this as unknown as { runtime: { instance: WebAssembly.Instance } }).runtime.instance.exports;
  const before = read(runtime());
  const outcome = execute.call(this, req);
  const after = read(runtime());
  const perFn = new Map<number, bigint>();
  after.forEach((v, i) => {
    if (v !== before[i]) perFn.set(i, v - before[i]);
  });
  const entry = 'export' in req.entry ? req.entry.export : `table ${req.entry.table}`;
  profiles.push({ entry, total: outcome.instructions, perFn });
  return outcome;
};

const replica = await startReplica(true);
const report = (from: number) => {
  const show = (n: bigint, digits: number) => `${(Number(n) / UNIT.per).toFixed(digits)}${UNIT.name}`;
  for (const p of profiles.slice(from).filter((p) => p.entry !== 'canister_global_timer')) {
    const attributed = [...p.perFn.values()].reduce((a, b) => a + b, 0n);
    console.log(`\n${p.entry}: ${show(p.total, 2)} (${p.total}); System API ${show(p.total - attributed, 2)}`);
    const top = [...p.perFn.entries()].sort((a, b) => Number(b[1] - a[1])).slice(0, TOP);
    for (const [i, v] of top) console.log(`  ${show(v, 3).padStart(10)} ${String(v).padStart(11)}  ${fnNames[i]}`);
  }
};
if (MODE === 'store') {
  // The store-only baseline into an empty map (native_hash's store_only), then with one neighbour.
  const idl: IDL.InterfaceFactory = ({ IDL: I }) => I.Service({ store_only: I.Func([I.Record({ upload_id: I.Nat64, index: I.Nat32, bytes: I.Vec(I.Nat8) })], [I.Nat32], []) });
  const { actor } = await replica.pic.setupCanister<{ store_only(a: { upload_id: bigint; index: number; bytes: Uint8Array }): Promise<number> }>({ idlFactory: idl, wasm: WASM });
  await replica.pic.tick(2);
  for (let index = 0; index < 2; index++) {
    const from = profiles.length;
    const n = await actor.store_only({ upload_id: 0n, index, bytes: new Uint8Array(randomBytes(CHUNK)) });
    if (n !== CHUNK) throw new Error(`stored ${n}`);
    console.log(`\n===== store_only with ${index} neighbour(s)`);
    report(from);
  }
  await replica.close();
  process.exit(0);
}
if (SMALL) {
  // The first upload warms the heap (the first entries of each stable map); the second is measured.
  const { actor, uploadId: first, chunks: [firstChunk] } = await beginRandomUpload(replica, {
    user: 'bench profile', assetId: 'warm-up', chunkCount: 1, chunkSize: 10_240, isPublic: false
  });
  await actor.put_chunk({ upload_id: first, index: 0, bytes: firstChunk! });
  await actor.finish({ upload_id: first, sha256: [sha256(firstChunk!)] });
  const from = profiles.length;
  const data = new Uint8Array(randomBytes(10_240));
  const begun = await actor.begin({
    asset_id: 'small', variant: 'original', file_name: 'small.bin', content_type: 'application/octet-stream',
    size: BigInt(data.length), chunk_size: data.length, sha256: [sha256(data)], idempotency_key: [new Uint8Array(randomBytes(16))], public: []
  });
  if (!('Ok' in begun)) throw new Error('begin failed');
  await actor.put_chunk({ upload_id: begun.Ok.upload_id, index: 0, bytes: data });
  const done = await actor.finish({ upload_id: begun.Ok.upload_id, sha256: [sha256(data)] });
  if (!('Ok' in done)) throw new Error('finish failed');
  const measured = profiles.slice(from).filter((p) => p.entry !== 'canister_global_timer');
  for (const p of measured) console.log(`${p.entry.padEnd(32)} ${(Number(p.total) / 1e6).toFixed(2).padStart(8)} M`);
  console.log(`${'a 10 KB upload in all'.padEnd(32)} ${(Number(measured.reduce((a, p) => a + p.total, 0n)) / 1e6).toFixed(2).padStart(8)} M`);
  if (TOP > 0) report(from);
  await replica.close();
  process.exit(0);
}
try {
  const { actor, uploadId, chunks } = await beginRandomUpload(replica, {
    user: 'bench profile',
    assetId: 'profile',
    chunkCount: 4,
    chunkSize: CHUNK,
    isPublic: PUBLIC
  });
  let from = 0;
  for (let index = 0; index < chunks.length; index++) {
    from = profiles.length;
    const ack = await actor.put_chunk({ upload_id: uploadId, index, bytes: chunks[index] });
    if (!('Ok' in ack) || ack.Ok.hashed !== index + 1) throw new Error(`put_chunk ${index} not hashed in its reply`);
  }
  // The last chunk's executions (earlier ones warm up and fill the first B-tree nodes).
  report(from);
} finally {
  await replica.close();
}
