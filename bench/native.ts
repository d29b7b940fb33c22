// The native SHA-256's figures (issue "Verify every byte at native speed"), measured on the
// native_hash test canister through pic-js on the in-process replica, from the replica's record
// of each execution (instructions include System API charges): the store-only baseline, the
// hashing path through the native method, and projections for mainnet (bench/mainnet.ts).
// The whole-path figure is measured on ic_upload itself: in-order put_chunk calls of 1.9 MB,
// each at the frontier, so each is the put_chunk execution (store + the self-call), the native
// method (the stream, and the chunk's own digest for an upload finishing public) and the callback
// (midstate, chunk digest, session); a private upload (the default) is the headline figure.
import { IDL } from '@icp-sdk/core/candid';
import { randomBytes } from 'node:crypto';
import { cyclesPerGib, projectedMbPerSecond, type ChunkWork } from './mainnet.js';
import { beginRandomUpload, fmt, startReplica } from './support.js';

const CHUNK = 1_900_000;
const MB21 = 21 * 1024 * 1024;
const HEADER = 112;
const MIDSTATE = 104;
const STASH_REFERENCE = 16;
const METHOD = 'canister_update _ic_upload_sha256';

interface NativeHash {
  store_only(args: { upload_id: bigint; index: number; bytes: Uint8Array }): Promise<number>;
  absorb_only(bytes: Uint8Array, times: number, chunkDigest: boolean): Promise<bigint>;
}
const idl: IDL.InterfaceFactory = ({ IDL }) =>
  IDL.Service({
    store_only: IDL.Func([IDL.Record({ upload_id: IDL.Nat64, index: IDL.Nat32, bytes: IDL.Vec(IDL.Nat8) })], [IDL.Nat32], []),
    absorb_only: IDL.Func([IDL.Vec(IDL.Nat8), IDL.Nat32, IDL.Bool], [IDL.Nat64], [])
  });

/**
 * `jsHashPerByte`: the JavaScript SHA-256 measured alone in the canister (hash_bench). The
 * JavaScript whole path is no longer the canister's; its figure is the store-only baseline plus
 * that hash, labelled so.
 */
export async function nativeFigures(jsHashPerByte: number) {
  const replica = await startReplica(true);
  try {
    const { actor } = await replica.pic.setupCanister<NativeHash>({ idlFactory: idl, wasm: '.azle/native_hash/native_hash.wasm' });
    await replica.pic.tick(2); // Azle's start-up timer
    const chunk = new Uint8Array(randomBytes(CHUNK));
    const log = replica.machine.executions();
    const during = async (run: () => Promise<unknown>) => {
      const from = log.length;
      await run();
      return log.slice(from);
    };
    await actor.store_only({ upload_id: 0n, index: 0, bytes: chunk }); // warm-up
    const stores = await during(() => actor.store_only({ upload_id: 0n, index: 1, bytes: chunk }));
    const store = stores.reduce((a, r) => a + r.instructions, 0n);
    // Each chunk's own digest is a second SHA-256 pass in the method: the upload path needs it
    // (certified range responses), so the projections below include it.
    await actor.absorb_only(chunk, 1, true); // warm-up
    const sum = (rs: Awaited<ReturnType<typeof during>>) => rs.reduce((a, r) => a + r.instructions, 0n);
    const measure = async (chunkDigest: boolean) => {
      const once = await during(() => actor.absorb_only(chunk, 1, chunkDigest));
      const thrice = await during(() => actor.absorb_only(chunk, 3, chunkDigest));
      // caller's share, the method, the callback
      return { once, perCall: (sum(thrice) - sum(once)) / 2n, method: once.find((r) => r.entry === METHOD)!.instructions };
    };
    const streamOnly = await measure(false);
    const { once, perCall, method } = await measure(true);
    const storePerByte = Number(store) / CHUNK;
    const hashPathPerByte = Number(perCall) / CHUNK;
    const methodPerByte = Number(method) / CHUNK;
    const streamMethodPerByte = Number(streamOnly.method) / CHUNK;
    const streamPathPerByte = Number(streamOnly.perCall) / CHUNK;
    // The upload as most are: private (the default), so no chunk digests. One that finishes
    // public also computes each chunk's own digest, a second pass (reported beside it).
    const whole = await wholePath(replica, false);
    const wholePublic = await wholePath(replica, true);
    // A 21 MB upload (12 chunks of 1.9 MB) into a fresh canister, every put_chunk execution counted.
    const upload21 = await wholePath(replica, false, Math.ceil(MB21 / CHUNK));
    // The same upload into a canister that already holds three such uploads (36 chunks): its
    // chunks land in B-tree nodes already holding 5–11 others, as in a canister in use.
    const upload21Held = await wholePath(replica, false, Math.ceil(MB21 / CHUNK), 3);
    const jsWholePathPerByte = storePerByte + jsHashPerByte;
    const nativePerByte = Number(whole.instructions) / CHUNK;
    const nativePublicPerByte = Number(wholePublic.instructions) / CHUNK;

    // Per chunk on mainnet: put_chunk (store + the caller's share of one self-call), the native
    // method, its callback; the chunk stays in the canister's memory (the build's call stash), so
    // the self-call carries the header and a 16-byte reference and gets a midstate back.
    const nativeWork: ChunkWork = {
      ingressBytes: CHUNK,
      executions: whole.executions,
      xnetBytes: HEADER + STASH_REFERENCE + MIDSTATE,
      xnetCalls: 1
    };
    const storeWork: ChunkWork = { ingressBytes: CHUNK, executions: [store], xnetBytes: 0, xnetCalls: 0 };
    const jsWork: ChunkWork = { ingressBytes: CHUNK, executions: [BigInt(Math.round(jsWholePathPerByte * CHUNK))], xnetBytes: 0, xnetCalls: 0 };
    const mbps = (w: ChunkWork, uploads: number) => projectedMbPerSecond(w, CHUNK, MB21, uploads, 4);
    const projected = { single: mbps(nativeWork, 1), parallel4: mbps(nativeWork, 4), store_only: mbps(storeWork, 1), js_single: mbps(jsWork, 1) };
    const cycles = cyclesPerGib(nativeWork, CHUNK);
    const jsCycles = cyclesPerGib(jsWork, CHUNK);
    const rounds = (w: ChunkWork) => w.executions.map((n) => fmt(Number(n) / 1e6)).join(' + ');
    return {
      rows: [
        { what: 'store-only baseline: put of a 1.9 MB chunk, nothing hashed', value: `${fmt(storePerByte, 1)} instructions/byte` },
        { what: 'native hashing path per byte, stream + chunk digest (self-call, method, callback)', value: `${fmt(hashPathPerByte, 1)} instructions/byte` },
        { what: '  of which the Wasm method (both digests, stream at a block boundary)', value: `${fmt(methodPerByte, 1)} instructions/byte` },
        { what: 'native hashing path per byte, stream only', value: `${fmt(streamPathPerByte, 1)} instructions/byte (method ${fmt(streamMethodPerByte, 1)})` },
        { what: 'whole path, native: ic_upload put_chunk + its hashing call (measured, private upload, chunks 1–4 median)', value: `${fmt(nativePerByte, 1)} instructions/byte (target ≤ 100)` },
        { what: '  executions: put_chunk + method + callback (instructions/byte)', value: whole.executions.map((n) => fmt(Number(n) / CHUNK, 1)).join(' + ') },
        { what: 'whole path, native, all of a 21 MB upload (12 chunks, private)', value: `${fmt(upload21.uploadPerByte, 1)} instructions/byte` },
        { what: 'the same, into a canister already holding three 21 MB uploads', value: `${fmt(upload21Held.uploadPerByte, 1)} instructions/byte` },
        { what: 'whole path, native, upload finishing public (+ chunk digest pass)', value: `${fmt(nativePublicPerByte, 1)} instructions/byte (${wholePublic.executions.map((n) => fmt(Number(n) / CHUNK, 1)).join(' + ')})` },
        { what: 'whole path, JavaScript hash (store-only + JS SHA-256 measured alone)', value: `${fmt(jsWholePathPerByte)} instructions/byte` },
        { what: 'executions per chunk, native (M instructions)', value: rounds(nativeWork) },
        { what: 'projected mainnet, 21 MB, native', value: `${fmt(projected.single, 2)} MB/s (store-only ${fmt(projected.store_only, 2)}; target ≥ 0.9×)` },
        { what: 'projected mainnet, 4 × 21 MB in parallel, native', value: `${fmt(projected.parallel4, 2)} MB/s` },
        { what: 'projected mainnet, 21 MB, JavaScript hash', value: `${fmt(projected.js_single, 2)} MB/s` },
        { what: 'cycles per GiB, native (13-node fees)', value: `${fmt(cycles.total / 1e12, 2)} T = ${fmt(cycles.total / cycles.ingress_only, 2)} × ingress alone (target ≤ 1.6)` },
        { what: 'cycles per GiB, JavaScript hash', value: `${fmt(jsCycles.total / 1e12, 2)} T = ${fmt(jsCycles.total / jsCycles.ingress_only, 2)} × ingress alone` }
      ],
      json: {
        native_instructions_per_byte: nativePerByte,
        native_instructions_per_byte_is_projection: false,
        native_21mb_upload_instructions_per_byte: upload21.uploadPerByte,
        native_21mb_upload_after_three_instructions_per_byte: upload21Held.uploadPerByte,
        native_executions_per_chunk: whole.executions.map((n) => Number(n)),
        native_public_instructions_per_byte: nativePublicPerByte,
        native_public_executions_per_chunk: wholePublic.executions.map((n) => Number(n)),
        native_hash_path_instructions_per_byte: hashPathPerByte,
        native_method_instructions_per_byte: methodPerByte,
        native_stream_only_hash_path_instructions_per_byte: streamPathPerByte,
        native_stream_only_method_instructions_per_byte: streamMethodPerByte,
        js_instructions_per_byte: jsWholePathPerByte,
        store_only_instructions_per_byte: storePerByte,
        projected_mainnet_mb_per_s: { single: projected.single, parallel4: projected.parallel4, store_only: projected.store_only, js_single: projected.js_single },
        cycles_per_gib: { total: cycles.total, ingress_only: cycles.ingress_only, js_total: jsCycles.total },
        rounds_per_chunk: { native: once.map((r) => Number(r.rounds)), store_only: stores.map((r) => Number(r.rounds)) }
      }
    };
  } finally {
    await replica.close();
  }
}

/**
 * ic_upload's real path for one 1.9 MB chunk at the frontier: the executions the replica recorded
 * during its put_chunk (put_chunk, the native method, the callback), median over chunks 1–4
 * (chunk 0 warms up). `isPublic`: the upload finishes public, so chunk digests are computed too.
 * Also the whole of an upload of `chunkCount` chunks: every execution during its put_chunk calls
 * (timers included) over its bytes. Each chunk stored costs more the more chunks share its stable
 * B-tree node (README, "The native SHA-256"), so the later chunks of a long upload cost more
 * than the first few.
 */
async function wholePath(
  replica: Awaited<ReturnType<typeof startReplica>>,
  isPublic: boolean,
  chunkCount = 5,
  earlierUploads = 0
): Promise<{ instructions: bigint; executions: bigint[]; uploadPerByte: number }> {
  let existing: Awaited<ReturnType<typeof beginRandomUpload>>['actor'] | undefined;
  for (let upload = 0; upload <= earlierUploads; upload++) {
    const begun = await beginRandomUpload(
      replica,
      {
        user: `bench native whole path ${isPublic ? 'public' : 'private'} ${chunkCount} ${earlierUploads}`,
        assetId: `bench-native-${upload}`,
        chunkCount,
        chunkSize: CHUNK,
        isPublic
      },
      existing
    );
    if (upload === earlierUploads) return measureUpload(replica, begun);
    existing = begun.actor;
    await measureUpload(replica, begun);
  }
  throw new Error('unreachable');
}

async function measureUpload(
  replica: Awaited<ReturnType<typeof startReplica>>,
  { actor, uploadId, chunks }: Awaited<ReturnType<typeof beginRandomUpload>>
): Promise<{ instructions: bigint; executions: bigint[]; uploadPerByte: number }> {
  const log = replica.machine.executions();
  const perChunk: bigint[][] = [];
  let total = 0n;
  for (let index = 0; index < chunks.length; index++) {
    const from = log.length;
    const ack = await actor.put_chunk({ upload_id: uploadId, index, bytes: chunks[index] });
    if (!('Ok' in ack) || ack.Ok.hashed !== index + 1) throw new Error(`bench put_chunk ${index}: not hashed in its reply`);
    const during = log.slice(from);
    total += during.reduce((a, r) => a + r.instructions, 0n);
    perChunk.push(during.filter((r) => r.entry !== 'canister_global_timer').map((r) => r.instructions));
  }
  const done = await actor.finish({ upload_id: uploadId, sha256: [] });
  if (!('Ok' in done)) throw new Error(`bench finish: ${JSON.stringify(done.Err, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
  const measured = perChunk.slice(1, 5).sort((a, b) => Number(a.reduce((x, y) => x + y, 0n) - b.reduce((x, y) => x + y, 0n)));
  const executions = measured[Math.floor(measured.length / 2)];
  return { instructions: executions.reduce((a, b) => a + b, 0n), executions, uploadPerByte: Number(total) / (CHUNK * chunks.length) };
}

// `tsx bench/native.ts [JS SHA-256 instructions per byte]` prints these figures alone.
if (process.argv[1]?.endsWith('native.ts')) {
  const { rows, json } = await nativeFigures(Number(process.argv[2] ?? 8650));
  for (const r of rows) console.log(`${r.what.padEnd(64)} ${r.value}`);
  console.log(JSON.stringify(json, null, 2));
}
