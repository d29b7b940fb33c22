// Benchmark canister for the canister's own SHA-256 (src/backend/hash/sha256.ts) against
// @noble/hashes, both running in QuickJS inside Azle. The lead's benchmark calls it through the
// replica and reads the instructions each message used; the `instructions_*` methods report
// ic0.performance_counter(0) around the hashing alone, so per-byte cost can be read without the
// Candid decode of the argument.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { IDL, performanceCounter, update } from 'azle';

import { Sha256, sha256 } from '../../../src/backend/hash/sha256.js';

function oursChunks(bytes: Uint8Array, times: number): Uint8Array {
    const h = new Sha256();
    for (let i = 0; i < times; i++) h.update(bytes);
    return h.digest();
}

export default class {
    /** One-shot SHA-256 of the argument with our implementation. */
    @update([IDL.Vec(IDL.Nat8)], IDL.Vec(IDL.Nat8))
    hash_ours(bytes: Uint8Array): Uint8Array {
        return sha256(bytes);
    }

    /** One-shot SHA-256 of the argument with @noble/hashes. */
    @update([IDL.Vec(IDL.Nat8)], IDL.Vec(IDL.Nat8))
    hash_noble(bytes: Uint8Array): Uint8Array {
        return nobleSha256(bytes);
    }

    /** SHA-256 of the argument repeated `times` times, streamed through one state. */
    @update([IDL.Vec(IDL.Nat8), IDL.Nat32], IDL.Vec(IDL.Nat8))
    hash_ours_chunks(bytes: Uint8Array, times: number): Uint8Array {
        return oursChunks(bytes, times);
    }

    /** Instructions spent hashing the argument `times` times with ours (decode excluded). */
    @update([IDL.Vec(IDL.Nat8), IDL.Nat32], IDL.Nat64)
    instructions_ours(bytes: Uint8Array, times: number): bigint {
        const start = performanceCounter(0);
        oursChunks(bytes, times);
        return performanceCounter(0) - start;
    }

    /** Instructions spent hashing the argument once with @noble/hashes (decode excluded). */
    @update([IDL.Vec(IDL.Nat8)], IDL.Nat64)
    instructions_noble(bytes: Uint8Array): bigint {
        const start = performanceCounter(0);
        nobleSha256(bytes);
        return performanceCounter(0) - start;
    }
}
