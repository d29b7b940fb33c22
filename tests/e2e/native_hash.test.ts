// The native SHA-256 method the build adds to a canister's Wasm, in a real Azle canister on the
// replica: reached by the canister's own JavaScript through src/backend/native/native_sha256.ts,
// checked against @noble/hashes inside the canister and node:crypto outside; refused to everyone
// but the canister itself; still working after an upgrade, with a midstate kept across it.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import { PocketIc, type Actor } from '@dfinity/pic';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { pseudoRandomBytes } from '../support/bytes.js';
import { callFailure } from '../support/conformance.js';

const WASM = fileURLToPath(new URL('../../.azle/native_hash/native_hash.wasm', import.meta.url));

interface Report {
  digest: Uint8Array;
  reference: Uint8Array;
  piece_digests: Uint8Array[];
  bad_pieces: number[];
  calls: number;
  caller_instructions: bigint;
}
interface NativeHashService {
  digest(bytes: Uint8Array, cuts: number[]): Promise<Report>;
  every_length(bytes: Uint8Array): Promise<number[]>;
  mixed(bytes: Uint8Array, cut: number, cut2: number): Promise<Uint8Array>;
  feed(name: string, bytes: Uint8Array): Promise<bigint>;
  stream_digest(name: string): Promise<Uint8Array>;
  call_other(other: Principal): Promise<string>;
  call_malformed(length: number): Promise<string>;
  _ic_upload_sha256(bytes: Uint8Array): Promise<Uint8Array>;
}
const Bytes = IDL.Vec(IDL.Nat8);
const idlFactory: IDL.InterfaceFactory = ({ IDL: idl }) =>
  idl.Service({
    digest: idl.Func(
      [Bytes, idl.Vec(idl.Nat32)],
      [idl.Record({ digest: Bytes, reference: Bytes, piece_digests: idl.Vec(Bytes), bad_pieces: idl.Vec(idl.Nat32), calls: idl.Nat32, caller_instructions: idl.Nat64 })],
      []
    ),
    every_length: idl.Func([Bytes], [idl.Vec(idl.Nat32)], []),
    mixed: idl.Func([Bytes, idl.Nat32, idl.Nat32], [Bytes], []),
    feed: idl.Func([idl.Text, Bytes], [idl.Nat64], []),
    stream_digest: idl.Func([idl.Text], [Bytes], []),
    call_other: idl.Func([idl.Principal], [idl.Text], []),
    call_malformed: idl.Func([idl.Nat32], [idl.Text], []),
    // The native method itself, as an outside caller would try it (its argument is raw, not Candid).
    _ic_upload_sha256: idl.Func([Bytes], [Bytes], [])
  });

const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

let pic: PocketIc;
let canisterId: Principal;
let actor: Actor<NativeHashService>;
let other: Actor<NativeHashService>;
let otherId: Principal;

beforeAll(async () => {
  pic = await PocketIc.create(inject('PIC_URL'));
  ({ canisterId, actor } = await pic.setupCanister<NativeHashService>({ idlFactory, wasm: WASM }));
  ({ canisterId: otherId, actor: other } = await pic.setupCanister<NativeHashService>({ idlFactory, wasm: WASM }));
});

afterAll(async () => {
  await pic?.tearDown();
});

describe('native SHA-256 against @noble/hashes in the canister', () => {
  it('digests every length 0–300', async () => {
    expect(Array.from(await actor.every_length(pseudoRandomBytes(300, 1)))).toEqual([]);
  });

  it('digests across the block boundaries, split exactly at them', async () => {
    const data = pseudoRandomBytes(64 * 6 + 1, 2);
    for (const cuts of [[55], [56], [63], [64], [65], [119, 120], [64, 128, 192, 256, 320, 384], [1, 2, 3, 62, 127]]) {
      const r = await actor.digest(data, cuts);
      expect(Array.from(r.bad_pieces)).toEqual([]);
      expect(r.digest).toEqual(r.reference);
      expect(r.digest).toEqual(sha(data));
    }
  });

  it('digests 1 MiB (beside noble) and 1.9 MB (beside the JavaScript Sha256) in one call each', async () => {
    for (const [n, seed] of [[1024 * 1024, 3], [1_900_000, 4]]) {
      const data = pseudoRandomBytes(n, seed);
      const r = await actor.digest(data, []);
      expect(r.calls).toBe(2);
      expect(r.piece_digests).toEqual([sha(data)]);
      expect(r.digest).toEqual(r.reference);
      expect(r.digest).toEqual(sha(data));
    }
  });

  it('digests random splits', async () => {
    let x = 7;
    const next = (m: number) => ((x = (x * 1103515245 + 12345) >>> 0) % m);
    for (let round = 0; round < 6; round++) {
      const data = pseudoRandomBytes(1 + next(20_000), 10 + round);
      const cuts = Array.from({ length: next(8) }, () => next(data.length)).sort((a, b) => a - b);
      const r = await actor.digest(data, cuts);
      expect(Array.from(r.bad_pieces)).toEqual([]);
      expect(r.digest).toEqual(r.reference);
      expect(r.digest).toEqual(sha(data));
      const bounds = [0, ...cuts.filter((c) => c > 0), data.length];
      const pieces = bounds.slice(1).map((end, i) => data.subarray(bounds[i], end)).filter((p, i) => p.length > 0 || bounds.length === 2);
      expect(r.piece_digests).toEqual(pieces.map(sha));
    }
  });

  it('exports and imports midstates between the native method and the JavaScript Sha256', async () => {
    const data = pseudoRandomBytes(1000, 5);
    for (const [a, b] of [[0, 0], [0, 1000], [100, 100], [63, 129], [64, 128], [500, 999], [1000, 1000]]) {
      expect(await actor.mixed(data, a, b)).toEqual(sha(data));
    }
  });
});

describe('who may call it', () => {
  it('refuses ingress, from any principal, and changes nothing', async () => {
    const failure = await callFailure(actor._ic_upload_sha256(new Uint8Array(200)));
    expect(failure.rejectCode).toBe(5);
    expect(failure.rejectMessage).toContain('only the canister itself may call this method');
    await actor.feed('ingress', new Uint8Array([1, 2, 3]));
    const failure2 = await callFailure(actor._ic_upload_sha256(new Uint8Array(200)));
    expect(failure2.rejectCode).toBe(5);
    expect(await actor.stream_digest('ingress')).toEqual(sha(new Uint8Array([1, 2, 3])));
  });

  it('refuses another canister', async () => {
    const message = await other.call_other(canisterId);
    expect(message).toContain('only the canister itself may call this method');
    expect(await actor.call_other(otherId)).toContain('only the canister itself may call this method');
  });

  it('traps on a malformed argument from the canister itself', async () => {
    expect(await actor.call_malformed(0)).toContain('header');
    expect(await actor.call_malformed(111)).toContain('header');
  });
});

describe('upgrades', () => {
  it('keeps a midstate across an upgrade and keeps hashing after it', async () => {
    const data = pseudoRandomBytes(300_001, 6);
    expect(await actor.feed('up', data.subarray(0, 100_003))).toBe(100_003n);
    await pic.upgradeCanister({ canisterId, wasm: WASM });
    expect(await actor.feed('up', data.subarray(100_003))).toBe(300_001n);
    expect(await actor.stream_digest('up')).toEqual(sha(data));
    const r = await actor.digest(data, [77_777]);
    expect(r.digest).toEqual(sha(data));
  });
});
