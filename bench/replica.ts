// Issue 2's benchmark: for an update carrying a 1.9 MB blob, how much of the wall time is spent
// outside the canister's own execution (REST, JSON, base64, heap snapshots, metering), and what
// instrumentation costs: the same call on a metered and an unmetered replica.
import { IDL } from '@icp-sdk/core/candid';
import { createIdentity } from '@dfinity/pic';
import { startReplica, median, fmt } from './support.js';

const BLOB = 1_900_000;
const RUNS = 5;

const idlFactory: IDL.InterfaceFactory = ({ IDL }) =>
  IDL.Service({
    hash_ours: IDL.Func([IDL.Vec(IDL.Nat8)], [IDL.Vec(IDL.Nat8)], []),
    instructions_ours: IDL.Func([IDL.Vec(IDL.Nat8), IDL.Nat32], [IDL.Nat64], [])
  });

interface Measured {
  wallMs: number;
  wasmMs: number;
  snapshotMs: number;
  instructions: bigint;
}

async function measure(metering: boolean): Promise<Measured> {
  const replica = await startReplica(metering);
  try {
    const { actor, canisterId } = await replica.pic.setupCanister<{ hash_ours(b: Uint8Array): Promise<Uint8Array> }>({
      idlFactory,
      wasm: '.azle/hash_bench/hash_bench.wasm'
    });
    actor.setIdentity(createIdentity('bench'));
    const blob = new Uint8Array(BLOB).map((_, i) => (i * 31) & 0xff);
    await actor.hash_ours(blob); // warm-up: V8 compiles lazily on first calls
    const canister = replica.canister(canisterId);
    const walls: number[] = [];
    const wasm: number[] = [];
    const snap: number[] = [];
    let instructions = 0n;
    for (let i = 0; i < RUNS; i++) {
      const before = { ...canister.metrics };
      const t = performance.now();
      await actor.hash_ours(blob);
      walls.push(performance.now() - t);
      wasm.push(canister.metrics.wasmMs - before.wasmMs);
      snap.push(canister.metrics.snapshotMs - before.snapshotMs);
      instructions = canister.metrics.instructions - before.instructions;
    }
    return { wallMs: median(walls), wasmMs: median(wasm), snapshotMs: median(snap), instructions };
  } finally {
    await replica.close();
  }
}

export async function replicaBench() {
  const metered = await measure(true);
  const plain = await measure(false);
  const outside = (metered.wallMs - plain.wasmMs) / metered.wallMs;
  return {
    rows: [
      { what: 'update wall time, pic-js → REST → replica (metered)', value: `${fmt(metered.wallMs)} ms` },
      { what: 'Wasm execution, instrumented', value: `${fmt(metered.wasmMs)} ms` },
      { what: 'Wasm execution, uninstrumented', value: `${fmt(plain.wasmMs)} ms` },
      { what: 'metering overhead (instrumented / uninstrumented)', value: `${fmt(metered.wasmMs / plain.wasmMs, 2)}×` },
      { what: 'heap snapshot + commit per update', value: `${fmt(metered.snapshotMs, 1)} ms` },
      { what: 'instructions of the update (metered)', value: fmt(Number(metered.instructions)) },
      { what: 'share outside the canister’s own execution (target ≤ 15%)', value: `${fmt(outside * 100, 1)}%` }
    ],
    json: {
      blob_bytes: BLOB,
      wall_ms: metered.wallMs,
      wasm_ms_instrumented: metered.wasmMs,
      wasm_ms_uninstrumented: plain.wasmMs,
      snapshot_ms: metered.snapshotMs,
      instructions: Number(metered.instructions),
      outside_share: outside
    }
  };
}
