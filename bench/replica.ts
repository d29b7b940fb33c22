// Issue 2's benchmark: for an update carrying a 1.9 MB blob, how much of the wall time is spent
// outside the canister's own execution (REST, JSON, base64, heap snapshots, metering), and what
// instrumentation costs: the same call on a metered and an unmetered replica.
import { IDL } from '@icp-sdk/core/candid';
import { createIdentity } from '@dfinity/pic';
import { startReplica, median, fmt } from './support.js';

const BLOB = 1_900_000;
const RUNS = 7;

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

interface Side {
  call(): Promise<Measured>;
  close(): Promise<void>;
}

async function side(metering: boolean): Promise<Side> {
  const replica = await startReplica(metering);
  const { actor, canisterId } = await replica.pic.setupCanister<{ hash_ours(b: Uint8Array): Promise<Uint8Array> }>({
    idlFactory,
    wasm: '.azle/hash_bench/hash_bench.wasm'
  });
  actor.setIdentity(createIdentity('bench'));
  const blob = new Uint8Array(BLOB).map((_, i) => (i * 31) & 0xff);
  const canister = replica.canister(canisterId);
  const call = async (): Promise<Measured> => {
    const before = { ...canister.metrics };
    const t = performance.now();
    await actor.hash_ours(blob);
    return {
      wallMs: performance.now() - t,
      wasmMs: canister.metrics.wasmMs - before.wasmMs,
      snapshotMs: canister.metrics.snapshotMs - before.snapshotMs,
      instructions: canister.metrics.instructions - before.instructions
    };
  };
  await call(); // warm-up: V8 compiles lazily and tiers up on first calls
  return { call, close: () => replica.close() };
}

/** Both replicas in one process, calls alternating, so machine load hits both alike. */
async function measure(): Promise<{ metered: Measured; plain: Measured }> {
  const metered = await side(true);
  const plain = await side(false);
  try {
    const m: Measured[] = [];
    const p: Measured[] = [];
    for (let i = 0; i < RUNS; i++) {
      m.push(await metered.call());
      p.push(await plain.call());
    }
    const pick = (xs: Measured[]): Measured => ({
      wallMs: median(xs.map((x) => x.wallMs)),
      wasmMs: median(xs.map((x) => x.wasmMs)),
      snapshotMs: median(xs.map((x) => x.snapshotMs)),
      instructions: xs[0]!.instructions
    });
    return { metered: pick(m), plain: pick(p) };
  } finally {
    await metered.close();
    await plain.close();
  }
}

export async function replicaBench() {
  const { metered, plain } = await measure();
  const outside = (metered.wallMs - plain.wasmMs) / metered.wallMs;
  return {
    rows: [
      { what: 'update wall time, pic-js → REST → replica (metered)', value: `${fmt(metered.wallMs)} ms` },
      { what: 'Wasm execution, instrumented', value: `${fmt(metered.wasmMs)} ms` },
      { what: 'Wasm execution, uninstrumented', value: `${fmt(plain.wasmMs)} ms` },
      { what: 'metering overhead (instrumented / uninstrumented)', value: `${fmt(metered.wasmMs / plain.wasmMs, 2)}×` },
      { what: 'heap snapshot + commit per update', value: `${fmt(metered.snapshotMs, 1)} ms` },
      { what: 'REST, JSON, base64, pic-js (wall − Wasm − snapshot)', value: `${fmt(metered.wallMs - metered.wasmMs - metered.snapshotMs)} ms` },
      { what: 'instructions of the update (metered)', value: fmt(Number(metered.instructions)) },
      { what: 'share outside the canister’s own execution (target ≤ 15%)', value: `${fmt(outside * 100, 1)}%` }
    ],
    json: {
      blob_bytes: BLOB,
      runs: RUNS,
      wall_ms: metered.wallMs,
      wasm_ms_instrumented: metered.wasmMs,
      wasm_ms_uninstrumented: plain.wasmMs,
      snapshot_ms: metered.snapshotMs,
      instructions: Number(metered.instructions),
      outside_share: outside
    }
  };
}
