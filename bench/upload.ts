// Issue 3's and 4's benchmarks on the real ic_upload canister through pic-js on the embedded
// replica: instructions per uploaded byte of put_chunk (from the replica's metering), ours vs
// @noble/hashes; a 21 MB upload against hashing 21 MB alone; four parallel uploads against one;
// and the client library's throughput for one 21 MB file and 100 small files.
import { createIdentity } from '@dfinity/pic';
import { IDL } from '@icp-sdk/core/candid';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idlFactory, type IcUploadService } from '../candid/ic_upload.js';
import { Uploader, fileSource } from '../src/client/node/index.js';
import { startExternalReplica, startReplica, fmt, median } from './support.js';
import { nativeFigures } from './native.js';
import type { PocketIc } from '@dfinity/pic';

const MB21 = 21 * 1024 * 1024;
const CHUNK = 1_900_000;
const alice = createIdentity('bench alice');

const hashBenchIdl: IDL.InterfaceFactory = ({ IDL }) =>
  IDL.Service({
    instructions_ours: IDL.Func([IDL.Vec(IDL.Nat8), IDL.Nat32], [IDL.Nat64], []),
    instructions_noble: IDL.Func([IDL.Vec(IDL.Nat8)], [IDL.Nat64], []),
    hash_ours: IDL.Func([IDL.Vec(IDL.Nat8)], [IDL.Vec(IDL.Nat8)], [])
  });
interface HashBench {
  instructions_ours(b: Uint8Array, times: number): Promise<bigint>;
  instructions_noble(b: Uint8Array): Promise<bigint>;
  hash_ours(b: Uint8Array): Promise<Uint8Array>;
}

async function uploadCanister(pic: PocketIc) {
  const fixture = await pic.setupCanister<IcUploadService>({ idlFactory, wasm: '.azle/ic_upload/ic_upload.wasm' });
  fixture.actor.setIdentity(alice);
  await pic.tick(2); // Azle's start-up timer
  return fixture;
}

function files(dir: string, count: number, size: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const path = join(dir, `f${String(i).padStart(3, '0')}.bin`);
    writeFileSync(path, randomBytes(size));
    return path;
  });
}

async function uploadFiles(actor: IcUploadService, paths: string[], options: { files?: number; chunks?: number } = {}) {
  const uploader = new Uploader({ actor, chunkSize: CHUNK, concurrency: { files: options.files ?? 4, chunks: options.chunks ?? 4 } });
  const t = performance.now();
  const outcomes = await uploader.uploadAll(await Promise.all(paths.map(async (p) => ({ source: await fileSource(p) }))));
  const failed = outcomes.filter((o) => o.status !== 'finished');
  if (failed.length) throw new Error(`bench upload failed: ${failed.map((f) => f.assetId).join(', ')}`);
  return (performance.now() - t) / 1000;
}

/** Instructions, from the in-process replica's metering: deterministic, whatever the load. */
async function instructionFigures() {
  const replica = await startReplica(true);
  try {
    const { actor, canisterId } = await uploadCanister(replica.pic);
    const canister = replica.canister(canisterId);
    const chunk = new Uint8Array(randomBytes(CHUNK));
    const begun = await actor.begin({
      asset_id: 'probe',
      variant: 'original',
      file_name: 'probe',
      content_type: 'application/octet-stream',
      size: BigInt(CHUNK * 2),
      chunk_size: CHUNK,
      sha256: [],
      idempotency_key: [],
      public: []
    });
    if (!('Ok' in begun)) throw new Error(`begin failed: ${JSON.stringify(begun)}`);
    const id = begun.Ok.upload_id;
    await actor.put_chunk({ upload_id: id, index: 0, bytes: chunk }); // warm-up (lazy compilation)
    const before = canister.metrics.instructions;
    await actor.put_chunk({ upload_id: id, index: 1, bytes: chunk });
    const putPerByte = Number(canister.metrics.instructions - before) / CHUNK;
    await actor.abort(id);
    const hb = await replica.pic.setupCanister<HashBench>({ idlFactory: hashBenchIdl, wasm: '.azle/hash_bench/hash_bench.wasm' });
    hb.actor.setIdentity(alice);
    const sample = chunk.subarray(0, 256 * 1024);
    const oursPerByte = Number(await hb.actor.instructions_ours(sample, 1)) / sample.length;
    const noblePerByte = Number(await hb.actor.instructions_noble(sample)) / sample.length;
    return { putPerByte, oursPerByte, noblePerByte };
  } finally {
    await replica.close();
  }
}

/** Wall times, on the replica in its own process (as tests and users run it). */
async function wallFigures(dir: string) {
  const replica = await startExternalReplica();
  try {
    const { actor } = await uploadCanister(replica.pic);
    const hb = await replica.pic.setupCanister<HashBench>({ idlFactory: hashBenchIdl, wasm: '.azle/hash_bench/hash_bench.wasm' });
    hb.actor.setIdentity(alice);
    // 21 MB through the client vs hashing 21 MB alone in 12 messages of ≤ 1.9 MB, alternated
    // three times so machine load falls on both alike; medians.
    const [big] = files(dir, 1, MB21);
    const pieces = Array.from({ length: Math.ceil(MB21 / CHUNK) }, (_, i) => new Uint8Array(randomBytes(Math.min(CHUNK, MB21 - i * CHUNK))));
    await hb.actor.hash_ours(pieces[0]!); // warm-up
    const uploads: number[] = [];
    const hashes: number[] = [];
    for (let round = 0; round < 3; round++) {
      uploads.push(await uploadFiles(actor, [big!], { files: 1, chunks: 4 }));
      const t = performance.now();
      for (const piece of pieces) await hb.actor.hash_ours(piece);
      hashes.push((performance.now() - t) / 1000);
    }
    // Four parallel uploads (5.7 MB each) against one, alternated twice.
    const four = files(dir, 4, 3 * CHUNK);
    const ones: number[] = [];
    const fours: number[] = [];
    for (let round = 0; round < 2; round++) {
      ones.push(await uploadFiles(actor, [four[0]!], { files: 1 }));
      fours.push(await uploadFiles(actor, four, { files: 4 }));
    }
    const small = files(dir, 100, 10_000);
    const smallSeconds = await uploadFiles(actor, small, { files: 8 });
    return { uploadSeconds: median(uploads), hashSeconds: median(hashes), oneSeconds: median(ones), fourSeconds: median(fours), smallSeconds };
  } finally {
    await replica.close();
  }
}

export async function uploadBench() {
  const dir = mkdtempSync(join(tmpdir(), 'icu-bench-'));
  const { putPerByte, oursPerByte, noblePerByte } = await instructionFigures();
  const native = await nativeFigures(oursPerByte);
  const { uploadSeconds, hashSeconds, oneSeconds, fourSeconds, smallSeconds } = await wallFigures(dir);
  const efficiency = (4 * 3 * CHUNK) / fourSeconds / ((3 * CHUNK) / oneSeconds);
  return {
    rows: [
      { what: 'put_chunk, whole path (decode, store, native hashing call and its callback, bookkeeping)', value: `${fmt(putPerByte, 1)} instructions/byte` },
      { what: 'SHA-256 alone, ours (QuickJS-tuned)', value: `${fmt(oursPerByte)} instructions/byte` },
      { what: 'SHA-256 alone, @noble/hashes, same Azle build', value: `${fmt(noblePerByte)} instructions/byte` },
      { what: '21 MB upload (client, pic-js, 4 chunks in flight)', value: `${fmt(uploadSeconds, 1)} s = ${fmt(MB21 / 1e6 / uploadSeconds, 2)} MB/s` },
      { what: 'hashing 21 MB alone (12 messages of ≤ 1.9 MB)', value: `${fmt(hashSeconds, 1)} s` },
      { what: 'upload / hash-alone wall time (target ≤ 1.15)', value: fmt(uploadSeconds / hashSeconds, 2) },
      { what: 'parallel efficiency, 4 uploads vs 1 (target ≥ 0.95)', value: fmt(efficiency, 2) },
      { what: '100 small files (10 KB), 8 at a time', value: `${fmt(smallSeconds, 1)} s = ${fmt(100 / smallSeconds, 1)} files/s` },
      ...native.rows
    ],
    json: {
      put_chunk_instructions_per_byte: putPerByte,
      sha256_ours_instructions_per_byte: oursPerByte,
      sha256_noble_instructions_per_byte: noblePerByte,
      upload_21mb_seconds: uploadSeconds,
      hash_21mb_seconds: hashSeconds,
      upload_over_hash: uploadSeconds / hashSeconds,
      parallel_one_seconds: oneSeconds,
      parallel_four_seconds: fourSeconds,
      parallel_efficiency: efficiency,
      small_files_100_seconds: smallSeconds,
      ...native.json
    }
  };
}
