// Test canister for the native SHA-256 (src/backend/native/): its Wasm gets the method added by
// scripts/build.mjs exactly as ic_upload's does, and these methods drive it through the wrapper
// the backend uses, checking every answer against @noble/hashes inside the canister.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { IDL, Principal, StableBTreeMap, call, canisterSelf, msgArgData, msgReply, performanceCounter, update } from 'azle';

import { Sha256, sha256 as jsSha256 } from '../../../src/backend/hash/sha256.js';
import {
  MAX_NATIVE_CALL_BYTES,
  NATIVE_SHA256_METHOD,
  absorb,
  fromSha256State,
  initialMidstate,
  midstateLength,
  toSha256State
} from '../../../src/backend/native/native_sha256.js';
import { parsePutChunkArgs, type PutChunkArgs as PutChunkArgsValue } from '../../../src/backend/uploads/put_chunk_wire.js';

const Report = IDL.Record({
  digest: IDL.Vec(IDL.Nat8),
  /** The reference digest computed in the canister: @noble/hashes, or the JavaScript Sha256 (hash/sha256.ts). */
  reference: IDL.Vec(IDL.Nat8),
  /** Each piece's own digest (FLAG_CHUNK_DIGEST), for checking outside. */
  piece_digests: IDL.Vec(IDL.Vec(IDL.Nat8)),
  /** Pieces of at most 64 KiB whose own digest differed from noble's. */
  bad_pieces: IDL.Vec(IDL.Nat32),
  calls: IDL.Nat32,
  /** Instructions this canister's JavaScript spent, self-calls' own execution excluded. */
  caller_instructions: IDL.Nat64
});
type Report = { digest: Uint8Array; reference: Uint8Array; piece_digests: Uint8Array[]; bad_pieces: number[]; calls: number; caller_instructions: bigint };

/** put_chunk's argument type (candid/ic_upload.ts), with Azle's IDL. */
const PutChunkArgs = IDL.Record({ upload_id: IDL.Nat64, index: IDL.Nat32, bytes: IDL.Vec(IDL.Nat8) });

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Identity (de)serializer, as the backend's maps use: Azle's default is JSON. */
const rawBytes = { toBytes: (b: Uint8Array): Uint8Array => b, fromBytes: (b: Uint8Array): Uint8Array => b };
const textKey = { toBytes: (t: string): Uint8Array => new TextEncoder().encode(t), fromBytes: (b: Uint8Array): string => new TextDecoder().decode(b) };

/** A stream kept in stable memory between messages (survives upgrades). */
const streams = new StableBTreeMap<string, Uint8Array>(0, textKey, rawBytes);
/** Chunks stored and nothing else, keyed as the backend keys them (bytes): the store-only baseline. */
const stored = new StableBTreeMap<Uint8Array, Uint8Array>(1, rawBytes, rawBytes);

function fail(message: string): never {
  throw new Error(message);
}

export default class {
  /**
   * Hashes `bytes` natively, split at `cuts` (ascending offsets; pieces over one call's limit are
   * split further), asking each piece's own digest, and reports it beside a reference digest:
   * @noble/hashes up to 1 MiB; above, the JavaScript Sha256, because noble in QuickJS costs
   * ≈ 26,000 instructions per byte and 1.9 MB would exceed the 40 billion a message may use.
   */
  @update([IDL.Vec(IDL.Nat8), IDL.Vec(IDL.Nat32)], Report)
  async digest(bytes: Uint8Array, cuts: number[]): Promise<Report> {
    const start = performanceCounter(1);
    const bounds = [0, ...cuts.filter((c) => c > 0 && c < bytes.length), bytes.length];
    const pieces: Uint8Array[] = [];
    for (let i = 0; i + 1 < bounds.length; i++) {
      for (let at = bounds[i]; at < bounds[i + 1]; at += MAX_NATIVE_CALL_BYTES) {
        pieces.push(bytes.subarray(at, Math.min(bounds[i + 1], at + MAX_NATIVE_CALL_BYTES)));
      }
    }
    if (pieces.length === 0) pieces.push(bytes);
    let midstate = initialMidstate();
    const bad: number[] = [];
    const piece_digests: Uint8Array[] = [];
    for (const [i, piece] of pieces.entries()) {
      const r = await absorb(midstate, piece, { chunkDigest: true });
      if (r.kind !== 'ok') fail(r.message);
      piece_digests.push(r.chunkDigest!);
      if (piece.length <= 65536 && !equal(r.chunkDigest!, nobleSha256(piece))) bad.push(i);
      midstate = r.midstate;
    }
    const calls = pieces.length + 1;
    const done = await absorb(midstate, new Uint8Array(0), { final: true });
    if (done.kind !== 'ok') fail(done.message);
    if (midstateLength(done.midstate) !== BigInt(bytes.length)) fail('length mismatch');
    const caller_instructions = performanceCounter(1) - start;
    const reference = bytes.length <= 1024 * 1024 ? nobleSha256(bytes) : jsSha256(bytes);
    return { digest: done.digest!, reference, piece_digests, bad_pieces: bad, calls, caller_instructions };
  }

  /**
   * Stores a chunk as put_chunk does, hashing nothing (the benchmark's store-only baseline): the
   * same argument, decoded the same way (put_chunk_wire.ts, the generic decoder otherwise), the
   * chunk under a byte key; answers the chunk's length.
   */
  @update([PutChunkArgs], IDL.Nat32, { manual: true })
  store_only(): void {
    const arg = msgArgData();
    const args = parsePutChunkArgs(arg) ?? (IDL.decode([PutChunkArgs], arg)[0] as unknown as PutChunkArgsValue);
    const index = args.index;
    stored.insert(new Uint8Array([index >>> 24, index >>> 16, index >>> 8, index].map((b) => b & 255)), args.bytes);
    msgReply(new Uint8Array(IDL.encode([IDL.Nat32], [args.bytes.length])));
  }

  /** Absorbs `bytes` `times` times into one stream natively, asking each call's own digest or not (benchmark). */
  @update([IDL.Vec(IDL.Nat8), IDL.Nat32, IDL.Bool], IDL.Nat64)
  async absorb_only(bytes: Uint8Array, times: number, chunkDigest: boolean): Promise<bigint> {
    let midstate = initialMidstate();
    for (let i = 0; i < times; i++) {
      const r = await absorb(midstate, bytes, { chunkDigest });
      if (r.kind !== 'ok') fail(r.message);
      midstate = r.midstate;
    }
    return midstateLength(midstate);
  }

  /** Every length 0..max of `bytes`' prefixes, one call each; answers the lengths whose digest differed from noble's. */
  @update([IDL.Vec(IDL.Nat8)], IDL.Vec(IDL.Nat32))
  async every_length(bytes: Uint8Array): Promise<number[]> {
    const wrong: number[] = [];
    for (let n = 0; n <= bytes.length; n++) {
      const prefix = bytes.subarray(0, n);
      const r = await absorb(initialMidstate(), prefix, { final: true, chunkDigest: true });
      if (r.kind !== 'ok') fail(r.message);
      const expected = nobleSha256(prefix);
      if (!equal(r.digest!, expected) || !equal(r.chunkDigest!, expected)) wrong.push(n);
    }
    return wrong;
  }

  /**
   * Midstate export and import across implementations: the first `cut` bytes natively, the next
   * `cut2 - cut` in the JavaScript Sha256 (imported from the native midstate), the rest natively
   * again (imported from the JavaScript state). Answers the digest.
   */
  @update([IDL.Vec(IDL.Nat8), IDL.Nat32, IDL.Nat32], IDL.Vec(IDL.Nat8))
  async mixed(bytes: Uint8Array, cut: number, cut2: number): Promise<Uint8Array> {
    const a = await absorb(initialMidstate(), bytes.subarray(0, cut));
    if (a.kind !== 'ok') fail(a.message);
    const js = Sha256.importState(toSha256State(a.midstate));
    js.update(bytes.subarray(cut, cut2));
    const back = fromSha256State(js.exportState()) ?? fail('fromSha256State refused a JS state');
    const b = await absorb(back, bytes.subarray(cut2), { final: true });
    if (b.kind !== 'ok') fail(b.message);
    return b.digest!;
  }

  /** Absorbs `bytes` into the named stream kept in stable memory; answers the bytes absorbed so far. */
  @update([IDL.Text, IDL.Vec(IDL.Nat8)], IDL.Nat64)
  async feed(name: string, bytes: Uint8Array): Promise<bigint> {
    const r = await absorb(streams.get(name) ?? initialMidstate(), bytes);
    if (r.kind !== 'ok') fail(r.message);
    streams.insert(name, r.midstate);
    return midstateLength(r.midstate);
  }

  /** The named stream's digest (the stream stays open). */
  @update([IDL.Text], IDL.Vec(IDL.Nat8))
  async stream_digest(name: string): Promise<Uint8Array> {
    const r = await absorb(streams.get(name) ?? initialMidstate(), new Uint8Array(0), { final: true });
    if (r.kind !== 'ok') fail(r.message);
    return r.digest!;
  }

  /** Calls another canister's native method as this canister; answers the reject message, or "" if it answered. */
  @update([IDL.Principal], IDL.Text)
  async call_other(other: Principal): Promise<string> {
    const args = new Uint8Array(112 + 3);
    args.set(initialMidstate());
    try {
      await call(other, NATIVE_SHA256_METHOD, { raw: true, args });
      return '';
    } catch (e) {
      return typeof e === 'object' && e !== null && 'message' in e ? String(e.message) : String(e);
    }
  }

  /** Calls its own native method with a malformed argument; answers the reject message, or "" if it answered. */
  @update([IDL.Nat32], IDL.Text)
  async call_malformed(length: number): Promise<string> {
    try {
      await call(canisterSelf(), NATIVE_SHA256_METHOD, { raw: true, args: new Uint8Array(length) });
      return '';
    } catch (e) {
      return typeof e === 'object' && e !== null && 'message' in e ? String(e.message) : String(e);
    }
  }
}
