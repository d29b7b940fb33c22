// Generates, with binaryen's API, a SHA-256 written in Wasm itself and adds it to a canister's
// module as the update method `NATIVE_SHA256_METHOD`. QuickJS (no JIT) spends ≈ 8,900 Wasm
// instructions per byte on SHA-256 in JavaScript; the same compression function as straight Wasm
// costs under a hundred, so the canister's JavaScript advances its rolling hashes by calling this
// method on itself (src/backend/native/native_sha256.ts is that caller, and documents the wire
// format below from its side).
//
// Wire format (all offsets in bytes):
//   midstate (MIDSTATE_BYTES = 104): h0..h7 as big-endian u32 [0, 32) · total bytes absorbed so far,
//     u64 little-endian [32, 40) · the pending partial block [40, 104): its first (length mod 64)
//     bytes are the bytes absorbed after the last whole block; the rest is ignored on input and
//     zero on output. The method keeps the partial block, so a caller may split its input anywhere.
//   argument: midstate · flags u32 little-endian [104, 108) · reserved, zero [108, 112) · the bytes
//     to absorb [112, …). Flags: FLAG_FINAL (1) also answers the digest of the whole stream;
//     FLAG_CHUNK_DIGEST (2) also answers the SHA-256 of these bytes alone; FLAG_STASHED (4) is set
//     only by the build's call shim: the bytes stayed in the canister's memory and a 16-byte
//     reference to them follows the header instead (call_stash.mjs: the IC charges 50
//     instructions per byte sent in a call, so the canister's own calls to the method carry no bytes).
//   reply: the new midstate · the stream's digest (32, if FLAG_FINAL) · the bytes' own digest
//     (32, if FLAG_CHUNK_DIGEST). The bytes themselves are never sent back: a 1.9 MB reply costs
//     the JavaScript receiving it ≈ 18 million instructions.
//   Any caller but the canister itself, or a malformed argument: the method traps, so nothing
//   changes and the caller gets a reject.
//
// Memory: the method works only in Wasm pages it grew itself with memory.grow, found through its
// own global. All other memory belongs to Azle's Rust allocator, which hands it out to QuickJS's
// heap: writing a scratch buffer there would corrupt live JavaScript objects, and the allocator
// exports no malloc to borrow from. The allocator only ever uses pages its own memory.grow calls
// returned, so pages grown here are never handed out by it. The global starts at zero again after
// an upgrade (a fresh heap), and the first call then grows fresh pages.
//
// This file is plain JavaScript (not TypeScript) because scripts/build.mjs runs it under Node
// right after `azle build`, before anything is compiled.

import { IV, K } from './sha256_constants.mjs';
import { addCallStash, STASH_REFERENCE_BYTES } from './call_stash.mjs';
import { FLAG_CHUNK_DIGEST, FLAG_FINAL, FLAG_STASHED, HEADER_BYTES, MIDSTATE_BYTES, NATIVE_SHA256_METHOD } from './format.mjs';

export { FLAG_CHUNK_DIGEST, FLAG_FINAL, FLAG_STASHED, HEADER_BYTES, MIDSTATE_BYTES, NATIVE_SHA256_METHOD };

const PAGE = 65536;
/** The IC's inter-canister payload limit (MAX_INTER_CANISTER_PAYLOAD_IN_BYTES, 2 MiB), plus the header. */
const MAX_ARG = 2 * 1024 * 1024 + 1024;
// Scratch layout, offsets from the scratch base.
const CALLER = 0; // 32 bytes
const SELF = 32; // 32 bytes
const MESSAGE = 64; // trap messages, up to 192 bytes
const FINAL_CTX = 256; // a copy of the stream's midstate, finalized without touching the original
const CHUNK_CTX = 384; // the chunk's own SHA-256
const OUT = 512; // reply: midstate 104 + 32 + 32
const ARG = 1024; // the argument as received; its midstate is worked on in place
const PENDING = 40;
const LENGTH = 32;


const IC0_IMPORTS = {
  msg_arg_data_size: [[], 'i32'],
  msg_arg_data_copy: [['i32', 'i32', 'i32'], 'none'],
  msg_caller_size: [[], 'i32'],
  msg_caller_copy: [['i32', 'i32', 'i32'], 'none'],
  canister_self_size: [[], 'i32'],
  canister_self_copy: [['i32', 'i32', 'i32'], 'none'],
  msg_reply_data_append: [['i32', 'i32'], 'none'],
  msg_reply: [[], 'none'],
  trap: [['i32', 'i32'], 'none'],
  time: [[], 'i64'],
  call_new: [['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], 'none'],
  call_data_append: [['i32', 'i32'], 'none']
};

/**
 * Adds the native SHA-256 method to `module` (a binaryen module read from Azle's output).
 * Imports are looked up by module `ic0` and base name (Azle's build strips the name section, so
 * internal names are not stable) and added when the module lacks them.
 */
export function addNativeSha256(binaryen, module) {
  const { i32, i64, none } = binaryen;
  const type = (t) => ({ i32, i64, none })[t];
  const prefix = '$ic_upload_sha256';

  // ---- imports ----
  const found = new Map();
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.module === 'ic0') found.set(info.base, info.name);
  }
  // Imports the module lacks are added on first use, so a module gets only those its code calls.
  const names = {};
  const importAs = (base, name) => {
    const [params, result] = IC0_IMPORTS[base];
    module.addFunctionImport(name, 'ic0', base, binaryen.createType(params.map(type)), type(result));
    names[base] = name;
  };
  const ic0 = {};
  for (const [base, [, result]] of Object.entries(IC0_IMPORTS)) {
    ic0[base] = (...args) => {
      if (names[base] === undefined) {
        if (found.has(base)) names[base] = found.get(base);
        else importAs(base, `${prefix}.ic0.${base}`);
      }
      return module.call(names[base], args, type(result));
    };
  }
  /**
   * Takes Azle's import of `ic0.<base>` out of the module and imports it again under a name of our
   * own (which `ic0.<base>` then calls); answers the freed internal name, for a shim to take, so
   * that every call site in Azle's code reaches the shim. Undefined if Azle does not import it.
   */
  const replaceImport = (base) => {
    const azleName = found.get(base);
    if (azleName === undefined) return undefined;
    module.removeFunction(azleName);
    found.delete(base);
    importAs(base, `${prefix}.ic0.${base}`);
    return azleName;
  };

  // ---- globals: the scratch base and its size in bytes (both zero until the first call) ----
  const BASE = `${prefix}.base`;
  const CAP = `${prefix}.capacity`;
  module.addGlobal(BASE, i32, true, module.i32.const(0));
  module.addGlobal(CAP, i32, true, module.i32.const(0));

  const c32 = (v) => module.i32.const(v | 0);
  const get = (idx, t = i32) => module.local.get(idx, t);
  const set = (idx, v) => module.local.set(idx, v);
  const add = (a, b) => module.i32.add(a, b);
  const base = () => module.global.get(BASE, i32);
  const at = (off) => add(base(), c32(off));
  /** Byte-swaps an i32 (Wasm loads little-endian; SHA-256 words are big-endian). */
  const bswap = (x, tmp) =>
    module.i32.or(
      module.i32.and(module.i32.rotr(module.local.tee(tmp, x, i32), c32(8)), c32(0xff00ff00)),
      module.i32.and(module.i32.rotl(get(tmp), c32(8)), c32(0x00ff00ff))
    );

  /** Traps with `text`, written into the scratch area first (its pages are ours by then). */
  const trapWith = (text) => {
    const bytes = new TextEncoder().encode(`${NATIVE_SHA256_METHOD}: ${text}`);
    if (bytes.length > 192) throw new Error('trap message too long');
    const stores = [];
    for (let i = 0; i < bytes.length; i++) stores.push(module.i32.store8(MESSAGE + i, 1, base(), c32(bytes[i])));
    return module.block(null, [...stores, ic0.trap(at(MESSAGE), c32(bytes.length)), module.unreachable()]);
  };

  // ---- blocks(state ptr, data ptr, count): the compression function over whole 64-byte blocks ----
  // State words are native (little-endian) i32s while the method runs. Every Wasm instruction is
  // charged (local.get and i32.const included), so the code is written for fewest instructions:
  // 64 rounds unrolled; the working variables renamed from round to round instead of shifted (each
  // round writes two of them); the state kept in locals across blocks (loaded and stored once per
  // call); Maj(a,b,c) as b ^ ((a^b) & (b^c)), whose b^c is the previous round's a^b; T1 kept with
  // a tee.
  // blocks2(state ptr, state ptr, data ptr, count) runs two states over the same blocks (the
  // stream and the chunk's own digest, when the stream is at a block boundary): the message
  // schedule is computed once for both.
  //
  // Two variants of each, by `lanes`:
  // - 1 (scalar): one block per iteration, the 16-word schedule in i32 locals, rewritten in place.
  // - 4 (SIMD): four consecutive blocks per iteration, with the message schedule in Wasm SIMD.
  //   Lane b of each vector belongs to block b of the four, so the four schedules are computed
  //   side by side with no shuffles (the blocks of one stream must be compressed in turn, but their
  //   schedules depend on the input alone). Under the IC's costs (src/replica/wasm/costs.ts: a
  //   SIMD shift 2, other lane-wise ops 1) the schedule and the big-endian loads cost ≈ 740
  //   instructions a block instead of 1,568. W[t] + K[t] is kept for all 64 rounds, so a round
  //   reads its word with one extract_lane and adds no constant. Rounds stay scalar: each depends
  //   on the one before.
  const BSWAP = [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12];
  const splat = (k) => module.v128.const(Array.from({ length: 16 }, (_, i) => (k >>> (8 * (i & 3))) & 0xff));
  const compression = (name, states, lanes) => {
    const { v128 } = binaryen;
    const P_STATE = (k) => k, P_DATA = states, P_COUNT = states + 1;
    let next = states + 2;
    const vars = [];
    const take = (n, t = i32) => Array.from({ length: n }, () => (vars.push(t), next++));
    const Ws = take(16, lanes === 1 ? i32 : v128);
    const W = (j) => Ws[j & 15];
    const WK = lanes === 1 ? [] : take(64, v128);
    const [TMP, END] = take(2);
    const per = Array.from({ length: states }, () => ({ V: take(8), HS: take(8), X: take(2) }));
    const rotr = (x, n) => module.i32.rotr(x, c32(n));
    const xor = (a, b) => module.i32.xor(a, b);
    const and = (a, b) => module.i32.and(a, b);
    const tee = (idx, v, t = i32) => module.local.tee(idx, v, t);
    /** Round t of one state, adding `word` (W[t] + K[t]) into T1. */
    const round = ({ V, X }, t, word) => {
      const [A, B, , D, E, F, G, H] = V.map((_, i) => V[(i - t + 64) & 7]);
      const S1 = xor(xor(rotr(get(E), 6), rotr(get(E), 11)), rotr(get(E), 25));
      const ch = xor(get(G), and(get(E), xor(get(F), get(G))));
      const S0 = xor(xor(rotr(get(A), 2), rotr(get(A), 13)), rotr(get(A), 22));
      const [xNow, xBefore] = t % 2 === 0 ? [X[0], X[1]] : [X[1], X[0]];
      const maj = xor(get(B), and(tee(xNow, xor(get(A), get(B))), get(xBefore)));
      return [set(D, add(get(D), tee(H, add(add(add(get(H), S1), ch), word)))), set(H, add(add(get(H), S0), maj))];
    };
    const startBlock = () => per.map(({ V, X }) => set(X[1], xor(get(V[1]), get(V[2]))));
    // After 64 rounds the renaming is back where it started: V[i] is the new a..h again.
    const addBlock = () => per.flatMap(({ V, HS }) => V.map((v, i) => set(v, tee(HS[i], add(get(HS[i]), get(v))))));
    const body = [];
    if (lanes === 1) {
      body.push(...startBlock());
      for (let t = 0; t < 64; t++) {
        let w;
        if (t < 16) {
          w = tee(W(t), bswap(module.i32.load(4 * t, 1, get(P_DATA)), TMP));
        } else {
          const x15 = W(t - 15), x2 = W(t - 2);
          const s0 = xor(xor(rotr(get(x15), 7), rotr(get(x15), 18)), module.i32.shr_u(get(x15), c32(3)));
          const s1 = xor(xor(rotr(get(x2), 17), rotr(get(x2), 19)), module.i32.shr_u(get(x2), c32(10)));
          w = tee(W(t), add(add(add(get(W(t)), s0), get(W(t - 7))), s1));
        }
        // The first state takes the new schedule word as it is computed, the others read it.
        per.forEach((state, k) => body.push(...round(state, t, add(c32(K[t]), k === 0 ? w : get(W(t))))));
      }
      body.push(...addBlock());
    } else {
      const vget = (idx) => get(idx, v128);
      const vshr = (x, n) => module.i32x4.shr_u(vget(x), c32(n));
      const vrotr = (x, n) => module.v128.or(vshr(x, n), module.i32x4.shl(vget(x), c32(32 - n)));
      for (let t = 0; t < 64; t++) {
        let w;
        if (t < 16) {
          // Word t of the four blocks, one lane each, then every lane byte-swapped.
          let v = module.v128.load32_zero(4 * t, 1, get(P_DATA));
          for (let b = 1; b < 4; b++) v = module.v128.load32_lane(64 * b + 4 * t, 1, b, get(P_DATA), v);
          w = module.i8x16.swizzle(v, module.v128.const(BSWAP));
        } else {
          const x15 = W(t - 15), x2 = W(t - 2);
          const s0 = module.v128.xor(module.v128.xor(vrotr(x15, 7), vrotr(x15, 18)), vshr(x15, 3));
          const s1 = module.v128.xor(module.v128.xor(vrotr(x2, 17), vrotr(x2, 19)), vshr(x2, 10));
          w = module.i32x4.add(module.i32x4.add(module.i32x4.add(vget(W(t)), s0), vget(W(t - 7))), s1);
        }
        body.push(set(WK[t], module.i32x4.add(tee(W(t), w, v128), splat(K[t]))));
      }
      for (let b = 0; b < lanes; b++) {
        body.push(...startBlock());
        for (let t = 0; t < 64; t++) per.forEach((state) => body.push(...round(state, t, module.i32x4.extract_lane(vget(WK[t]), b))));
        body.push(...addBlock());
      }
    }
    const blockShift = lanes === 1 ? 6 : 8;
    module.addFunction(
      name,
      binaryen.createType([...Array(states).fill(i32), i32, i32]),
      none,
      vars,
      module.block(null, [
        set(END, add(get(P_DATA), module.i32.shl(get(P_COUNT), c32(blockShift)))),
        ...per.flatMap(({ V, HS }, k) => V.map((v, i) => set(v, tee(HS[i], module.i32.load(4 * i, 4, get(P_STATE(k))))))),
        module.block('done', [
          module.loop(
            'next',
            module.block(null, [
              module.br('done', module.i32.ge_u(get(P_DATA), get(END))),
              ...body,
              set(P_DATA, add(get(P_DATA), c32(1 << blockShift))),
              module.br('next')
            ])
          )
        ]),
        ...per.flatMap(({ HS }, k) => HS.map((h, i) => module.i32.store(4 * i, 4, get(P_STATE(k)), get(h))))
      ])
    );
  };
  compression(`${prefix}.blocks.scalar`, 1, 1);
  compression(`${prefix}.blocks2.scalar`, 2, 1);
  // Their third parameter counts groups of four blocks.
  compression(`${prefix}.blocks.x4`, 1, 4);
  compression(`${prefix}.blocks2.x4`, 2, 4);

  // blocks / blocks2: groups of four through the SIMD schedule, the last 0–3 blocks scalar.
  const dispatch = (name, states) => {
    const DATA = states, COUNT = states + 1;
    const statePtrs = () => Array.from({ length: states }, (_, k) => get(k));
    module.addFunction(
      name,
      binaryen.createType([...Array(states).fill(i32), i32, i32]),
      none,
      [],
      module.block(null, [
        module.if(
          module.i32.ge_u(get(COUNT), c32(4)),
          module.block(null, [
            module.call(`${name}.x4`, [...statePtrs(), get(DATA), module.i32.shr_u(get(COUNT), c32(2))], none),
            set(DATA, add(get(DATA), module.i32.shl(module.i32.and(get(COUNT), c32(~3)), c32(6)))),
            set(COUNT, module.i32.and(get(COUNT), c32(3)))
          ])
        ),
        module.call(`${name}.scalar`, [...statePtrs(), get(DATA), get(COUNT)], none)
      ])
    );
  };
  dispatch(`${prefix}.blocks`, 1);
  dispatch(`${prefix}.blocks2`, 2);
  const blocks = (state, data, count) => module.call(`${prefix}.blocks`, [state, data, count], none);
  const blocks2 = (a, b, data, count) => module.call(`${prefix}.blocks2`, [a, b, data, count], none);

  // ---- absorb(ctx, data, len): appends bytes to a midstate (native words), keeping its partial block ----
  {
    const CTX = 0, DATA = 1, LEN = 2, PLEN = 3, TAKE = 4;
    const length = () => module.i64.load(LENGTH, 8, get(CTX));
    module.addFunction(
      `${prefix}.absorb`,
      binaryen.createType([i32, i32, i32]),
      none,
      [i32, i32],
      module.block(null, [
        set(PLEN, module.i32.and(module.i32.wrap(length()), c32(63))),
        module.i64.store(LENGTH, 8, get(CTX), module.i64.add(length(), module.i64.extend_u(get(LEN)))),
        module.if(
          get(PLEN),
          module.block(null, [
            set(TAKE, module.select(
              module.i32.lt_u(get(LEN), module.i32.sub(c32(64), get(PLEN))),
              get(LEN),
              module.i32.sub(c32(64), get(PLEN))
            )),
            module.memory.copy(add(add(get(CTX), c32(PENDING)), get(PLEN)), get(DATA), get(TAKE)),
            set(DATA, add(get(DATA), get(TAKE))),
            set(LEN, module.i32.sub(get(LEN), get(TAKE))),
            set(PLEN, add(get(PLEN), get(TAKE))),
            module.if(module.i32.lt_u(get(PLEN), c32(64)), module.return()),
            blocks(get(CTX), add(get(CTX), c32(PENDING)), c32(1))
          ])
        ),
        blocks(get(CTX), get(DATA), module.i32.shr_u(get(LEN), c32(6))),
        module.memory.copy(
          add(get(CTX), c32(PENDING)),
          add(get(DATA), module.i32.and(get(LEN), c32(~63))),
          module.i32.and(get(LEN), c32(63))
        )
      ])
    );
  }
  const absorb = (ctx, data, len) => module.call(`${prefix}.absorb`, [ctx, data, len], none);

  // ---- finish(ctx, out): pads the midstate at ctx (destroying it) and writes the digest to out ----
  {
    const CTX = 0, OUTP = 1, PLEN = 2, TMP = 3;
    const pending = () => add(get(CTX), c32(PENDING));
    const bitLength = () => module.i64.shl(module.i64.load(LENGTH, 8, get(CTX)), module.i64.const(3, 0));
    module.addFunction(
      `${prefix}.finish`,
      binaryen.createType([i32, i32]),
      none,
      [i32, i32],
      module.block(null, [
        set(PLEN, module.i32.and(module.i32.wrap(module.i64.load(LENGTH, 8, get(CTX))), c32(63))),
        module.i32.store8(0, 1, add(pending(), get(PLEN)), c32(0x80)),
        module.memory.fill(add(add(pending(), get(PLEN)), c32(1)), c32(0), module.i32.sub(c32(63), get(PLEN))),
        module.if(
          module.i32.ge_u(get(PLEN), c32(56)),
          module.block(null, [blocks(get(CTX), pending(), c32(1)), module.memory.fill(pending(), c32(0), c32(56))])
        ),
        module.i32.store(56, 1, pending(), bswap(module.i32.wrap(module.i64.shr_u(bitLength(), module.i64.const(32, 0))), TMP)),
        module.i32.store(60, 1, pending(), bswap(module.i32.wrap(bitLength()), TMP)),
        blocks(get(CTX), pending(), c32(1)),
        ...Array.from({ length: 8 }, (_, i) =>
          module.i32.store(4 * i, 1, get(OUTP), bswap(module.i32.load(4 * i, 4, get(CTX)), TMP))
        )
      ])
    );
  }
  const finish = (ctx, out) => module.call(`${prefix}.finish`, [ctx, out], none);

  const stash = addCallStash(binaryen, module, { ic0, prefix, replaceImport });

  // ---- the method ----
  {
    const SIZE = 0, FLAGS = 1, TMP = 2, PAGES = 3, OUTLEN = 4, DATA = 5, LEN = 6, SLOT = 7, WHOLE = 8;
    const ctx = () => at(ARG);
    const swapState = (ptr) =>
      Array.from({ length: 8 }, (_, i) => module.i32.store(4 * i, 4, ptr(), bswap(module.i32.load(4 * i, 4, ptr()), TMP)));
    const words = (off) => Array.from({ length: 4 }, (_, i) => module.i64.load(off + 8 * i, 1, base()));
    module.addFunction(
      `${prefix}.method`,
      none,
      none,
      [i32, i32, i32, i32, i32, i32, i32, i32, i32],
      module.block(null, [
        set(SIZE, ic0.msg_arg_data_size()),
        // Scratch pages: grown once per heap (again if an argument ever outgrows them; the new
        // region need not be adjacent to the old one, whose pages then stay unused).
        module.if(
          module.i32.gt_u(add(get(SIZE), c32(ARG)), module.global.get(CAP, i32)),
          module.block(null, [
            set(PAGES, module.select(module.i32.gt_u(get(SIZE), c32(MAX_ARG)), get(SIZE), c32(MAX_ARG))),
            set(PAGES, module.i32.div_u(add(get(PAGES), c32(ARG + PAGE - 1)), c32(PAGE))),
            set(TMP, module.memory.grow(get(PAGES))),
            // Out of memory: nothing to write a message with, and nothing changed yet.
            module.if(module.i32.eq(get(TMP), c32(-1)), module.unreachable()),
            module.global.set(BASE, module.i32.mul(get(TMP), c32(PAGE))),
            module.global.set(CAP, module.i32.mul(get(PAGES), c32(PAGE)))
          ])
        ),
        // Self-calls only: compare the caller with the canister's own id.
        module.memory.fill(at(CALLER), c32(0), c32(64)),
        module.if(
          module.i32.ne(ic0.msg_caller_size(), ic0.canister_self_size()),
          trapWith('only the canister itself may call this method')
        ),
        module.if(module.i32.gt_u(ic0.msg_caller_size(), c32(32)), trapWith('only the canister itself may call this method')),
        ic0.msg_caller_copy(at(CALLER), c32(0), ic0.msg_caller_size()),
        ic0.canister_self_copy(at(SELF), c32(0), ic0.canister_self_size()),
        module.if(
          module.i32.eqz(
            module.i32.and(
              module.i32.and(module.i64.eq(words(CALLER)[0], words(SELF)[0]), module.i64.eq(words(CALLER)[1], words(SELF)[1])),
              module.i32.and(module.i64.eq(words(CALLER)[2], words(SELF)[2]), module.i64.eq(words(CALLER)[3], words(SELF)[3]))
            )
          ),
          trapWith('only the canister itself may call this method')
        ),
        module.if(module.i32.lt_u(get(SIZE), c32(HEADER_BYTES)), trapWith('argument shorter than its 112-byte header')),
        ic0.msg_arg_data_copy(ctx(), c32(0), get(SIZE)),
        set(FLAGS, module.i32.load(MIDSTATE_BYTES, 4, ctx())),
        module.if(
          module.i32.or(
            module.i32.and(get(FLAGS), c32(~(FLAG_FINAL | FLAG_CHUNK_DIGEST | FLAG_STASHED))),
            module.i32.load(MIDSTATE_BYTES + 4, 4, ctx())
          ),
          trapWith('unknown flags')
        ),
        // The bytes: after the header, or in a stash slot the header's reference names.
        set(DATA, at(ARG + HEADER_BYTES)),
        set(LEN, module.i32.sub(get(SIZE), c32(HEADER_BYTES))),
        module.if(
          module.i32.and(get(FLAGS), c32(FLAG_STASHED)),
          module.block(null, [
            module.if(module.i32.ne(get(LEN), c32(STASH_REFERENCE_BYTES)), trapWith('malformed stash reference')),
            stash.resolve(() => at(ARG + HEADER_BYTES), DATA, LEN, SLOT, () => trapWith('stashed bytes are gone; call again'))
          ])
        ),
        ...swapState(ctx),
        ...IV.map((h, i) => module.i32.store(4 * i, 4, at(CHUNK_CTX), c32(h))),
        module.i64.store(LENGTH, 8, at(CHUNK_CTX), module.i64.const(0, 0)),
        // Both digests and the stream at a block boundary: the whole blocks go through both states
        // in one pass (blocks2); what is left, and any other case, goes through absorb below.
        module.if(
          module.i32.and(
            module.i32.ne(module.i32.and(get(FLAGS), c32(FLAG_CHUNK_DIGEST)), c32(0)),
            module.i32.eqz(module.i32.and(module.i32.wrap(module.i64.load(LENGTH, 8, ctx())), c32(63)))
          ),
          module.block(null, [
            set(WHOLE, module.i32.and(get(LEN), c32(~63))),
            blocks2(ctx(), at(CHUNK_CTX), get(DATA), module.i32.shr_u(get(LEN), c32(6))),
            module.i64.store(LENGTH, 8, ctx(), module.i64.add(module.i64.load(LENGTH, 8, ctx()), module.i64.extend_u(get(WHOLE)))),
            module.i64.store(LENGTH, 8, at(CHUNK_CTX), module.i64.extend_u(get(WHOLE))),
            set(DATA, add(get(DATA), get(WHOLE))),
            set(LEN, module.i32.sub(get(LEN), get(WHOLE)))
          ])
        ),
        absorb(ctx(), get(DATA), get(LEN)),
        // The reply: the new midstate (words big-endian again, unused pending bytes zero).
        module.memory.copy(at(OUT), ctx(), c32(MIDSTATE_BYTES)),
        ...swapState(() => at(OUT)),
        set(TMP, module.i32.and(module.i32.wrap(module.i64.load(LENGTH, 8, ctx())), c32(63))),
        module.memory.fill(add(at(OUT + PENDING), get(TMP)), c32(0), module.i32.sub(c32(64), get(TMP))),
        set(OUTLEN, c32(MIDSTATE_BYTES)),
        module.if(
          module.i32.and(get(FLAGS), c32(FLAG_FINAL)),
          module.block(null, [
            module.memory.copy(at(FINAL_CTX), ctx(), c32(MIDSTATE_BYTES)),
            finish(at(FINAL_CTX), add(at(OUT), get(OUTLEN))),
            set(OUTLEN, add(get(OUTLEN), c32(32)))
          ])
        ),
        module.if(
          module.i32.and(get(FLAGS), c32(FLAG_CHUNK_DIGEST)),
          module.block(null, [
            absorb(at(CHUNK_CTX), get(DATA), get(LEN)),
            finish(at(CHUNK_CTX), add(at(OUT), get(OUTLEN))),
            set(OUTLEN, add(get(OUTLEN), c32(32)))
          ])
        ),
        ic0.msg_reply_data_append(at(OUT), get(OUTLEN)),
        ic0.msg_reply()
      ])
    );
    module.addFunctionExport(`${prefix}.method`, `canister_update ${NATIVE_SHA256_METHOD}`);
  }
}
