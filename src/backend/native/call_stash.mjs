// The stash: the bytes of a self-call to the native SHA-256 stay in the canister's own memory
// instead of travelling in the call.
//
// Why: the IC charges `ic0.call_data_append` 50 instructions per byte (BYTE_TRANSMISSION_COST_FACTOR
// in rs/embedders/src/wasmtime_embedder/linker.rs of dfinity/ic), the cost of moving a payload out
// of the Wasm sandbox. Sending a 1.9 MB chunk to the method cost 95 million instructions, more than
// storing it. The caller and the callee are the same canister, so the bytes need not leave its
// memory: the call need only say where they are.
//
// How: the build puts a shim in front of Azle's imports `ic0.call_new` and `ic0.call_data_append`
// (the import is replaced by a function of the same internal name, so every call site in Azle's
// code reaches the shim). `call_new` notes whether the call being built goes to this canister's
// own `NATIVE_SHA256_METHOD`. The first `call_data_append` of such a call, if it carries a header
// and at least STASH_MIN_BYTES, copies the bytes after the header into a free stash slot (1
// instruction per byte, `memory.copy`) and appends instead the header with FLAG_STASHED and a
// 16-byte reference: slot u32 · length u32 · id u64, all little-endian. The method reads the bytes
// from the slot and frees it. Any other call, or a call with no free slot, goes through unchanged.
//
// Why it cannot mix up bytes: a slot is written only while the canister itself builds a call to the
// method, in the very message that makes the call, and each slot write takes a fresh id from a
// counter. The method accepts a reference only if the slot is in use with that id and length;
// otherwise it traps, nothing changes, and the caller sees a failed call (the rolling hash then
// retries, and the retry is stashed afresh). A call that never reaches the method (rejected by the
// system, lost across an upgrade) leaves its slot in use: a slot older than STASH_RECLAIM_NS may
// be taken again, which at worst makes that late call fail in the same way.
//
// Memory: like the method, the stash lives only in pages it grew itself (see sha256_wasm.mjs for
// why Azle's allocator never hands those out): one page for the slot table, grown on the first
// self-call to the method, and one region per slot, grown the first time the slot is used. After
// an upgrade the globals start at zero again and the pages are grown afresh.

import { FLAG_STASHED, HEADER_BYTES, MIDSTATE_BYTES, NATIVE_SHA256_METHOD } from './format.mjs';

const PAGE = 65536;
/** Slots: hashing calls waiting for the method at once (one per session hashing). */
export const STASH_SLOTS = 8;
/** Each slot holds one call's bytes: at most the IC's 2 MiB inter-canister payload. */
const SLOT_PAGES = 32;
/** Below this the copy saves less than the stash's fixed work; such calls go through unchanged. */
export const STASH_MIN_BYTES = 4096;
/** A slot in use this long is presumed lost (its call never reached the method) and may be reused. */
export const STASH_RECLAIM_NS = 300n * 1_000_000_000n;
/** The reference appended after the header in place of the bytes. */
export const STASH_REFERENCE_BYTES = 16;

// Slot table page layout: per slot (32 bytes at slot * 32): in use i32 · length i32 · id i64 ·
// written at (ns) i64 · region base i32 (0 until grown). Then scratch areas.
const SLOT = 32;
const IN_USE = 0, LENGTH = 4, ID = 8, WRITTEN = 16, REGION = 24;
const FORWARD = 1024; // the header and reference appended in place of the call's data
const SELF = 1280; // the canister's own id, compared with the callee

/**
 * Adds the shims and the globals. `ic0` maps base names to callers of the real imports (found or
 * added by the generator); `replaceImport(base)` removes Azle's import of `ic0.<base>` and answers
 * its internal name (undefined if Azle does not import it), so that the shim can take that name.
 * Answers the code the method needs to resolve a reference.
 */
export function addCallStash(binaryen, module, { ic0, prefix, replaceImport }) {
  const { i32, i64, none } = binaryen;
  const c32 = (v) => module.i32.const(v | 0);
  const c64 = (v) => module.i64.const(Number(BigInt.asUintN(64, v) & 0xffffffffn) | 0, Number(BigInt.asUintN(64, v) >> 32n) | 0);
  const get = (idx, t = i32) => module.local.get(idx, t);
  const set = (idx, v) => module.local.set(idx, v);
  const add = (a, b) => module.i32.add(a, b);

  const TABLE = `${prefix}.stash.table`;
  const TARGET = `${prefix}.stash.target`;
  const NEXT_ID = `${prefix}.stash.next_id`;
  module.addGlobal(TABLE, i32, true, c32(0));
  module.addGlobal(TARGET, i32, true, c32(0));
  module.addGlobal(NEXT_ID, i64, true, c64(1n));
  const table = () => module.global.get(TABLE, i32);
  const slotAt = (slot) => add(table(), module.i32.mul(slot, c32(SLOT)));

  const name = new TextEncoder().encode(NATIVE_SHA256_METHOD);

  // ---- call_new: is this call to our own native method? ----
  const callNewName = replaceImport('call_new');
  if (callNewName !== undefined) {
    const params = Array.from({ length: 8 }, () => i32);
    const CALLEE = 0, CALLEE_SIZE = 1, NAME = 2, NAME_LEN = 3, GROWN = 8, I = 9;
    const sameName = name.reduce(
      (acc, byte, i) => module.i32.and(acc, module.i32.eq(module.i32.load8_u(i, 1, get(NAME)), c32(byte))),
      module.i32.eq(get(NAME_LEN), c32(name.length))
    );
    module.addFunction(
      callNewName,
      binaryen.createType(params),
      none,
      [i32, i32],
      module.block(null, [
        module.global.set(TARGET, c32(0)),
        module.if(
          // The name first (cheap): the callee is compared only for calls to the method's name.
          module.if(module.i32.eq(get(NAME_LEN), c32(name.length)), sameName, c32(0)),
          module.block(null, [
            module.if(
              module.i32.eqz(table()),
              module.block(null, [
                set(GROWN, module.memory.grow(c32(1))),
                module.if(
                  module.i32.ne(get(GROWN), c32(-1)),
                  module.block(null, [
                    module.global.set(TABLE, module.i32.mul(get(GROWN), c32(PAGE))),
                    module.memory.fill(table(), c32(0), c32(PAGE))
                  ])
                )
              ])
            ),
            module.if(
              module.i32.and(
                module.i32.ne(table(), c32(0)),
                module.i32.and(
                  module.i32.eq(get(CALLEE_SIZE), ic0.canister_self_size()),
                  module.i32.le_u(get(CALLEE_SIZE), c32(32))
                )
              ),
              module.block(null, [
                ic0.canister_self_copy(add(table(), c32(SELF)), c32(0), get(CALLEE_SIZE)),
                // Byte by byte: a principal is at most 29 bytes, and this runs once per call.
                set(I, c32(0)),
                module.block('differs', [
                  module.loop(
                    'bytes',
                    module.block(null, [
                      module.if(
                        module.i32.ge_u(get(I), get(CALLEE_SIZE)),
                        module.block(null, [module.global.set(TARGET, c32(1)), module.br('differs')])
                      ),
                      module.br(
                        'differs',
                        module.i32.ne(
                          module.i32.load8_u(0, 1, add(get(CALLEE), get(I))),
                          module.i32.load8_u(SELF, 1, add(table(), get(I)))
                        )
                      ),
                      set(I, add(get(I), c32(1))),
                      module.br('bytes')
                    ])
                  )
                ])
              ])
            )
          ])
        ),
        ic0.call_new(...params.map((_, i) => get(i)))
      ])
    );
  }

  // ---- call_data_append: stash the bytes of a call to the method ----
  const appendName = replaceImport('call_data_append');
  if (appendName !== undefined) {
    const SRC = 0, SIZE = 1, SLOT_I = 2, LEN = 3, GROWN = 4, NOW = 5, ID_L = 6;
    const slotField = (off, t = i32) => (t === i32 ? module.i32.load(off, 4, slotAt(get(SLOT_I))) : module.i64.load(off, 8, slotAt(get(SLOT_I))));
    const forward = () => add(table(), c32(FORWARD));
    module.addFunction(
      appendName,
      binaryen.createType([i32, i32]),
      none,
      [i32, i32, i32, i64, i64],
      module.block(null, [
        module.block('direct', [
          module.br('direct', module.i32.eqz(module.global.get(TARGET, i32))),
          module.global.set(TARGET, c32(0)),
          module.br('direct', module.i32.lt_u(get(SIZE), c32(HEADER_BYTES + STASH_MIN_BYTES))),
          set(LEN, module.i32.sub(get(SIZE), c32(HEADER_BYTES))),
          module.br('direct', module.i32.gt_u(get(LEN), c32(SLOT_PAGES * PAGE))),
          // Already a reference, or a header this shim does not know: leave it to the method.
          module.br('direct', module.i32.and(module.i32.load(MIDSTATE_BYTES, 1, get(SRC)), c32(FLAG_STASHED))),
          module.br('direct', module.i32.load(MIDSTATE_BYTES + 4, 1, get(SRC))),
          // A free slot, else one presumed lost.
          set(NOW, ic0.time()),
          set(SLOT_I, c32(0)),
          module.block('found', [
            module.loop(
              'free',
              module.block(null, [
                module.br('found', module.i32.eqz(slotField(IN_USE))),
                module.br('found', module.i64.gt_u(module.i64.sub(get(NOW, i64), slotField(WRITTEN, i64)), c64(STASH_RECLAIM_NS))),
                set(SLOT_I, add(get(SLOT_I), c32(1))),
                module.br('free', module.i32.lt_u(get(SLOT_I), c32(STASH_SLOTS))),
                module.br('direct')
              ])
            )
          ]),
          module.if(
            module.i32.eqz(slotField(REGION)),
            module.block(null, [
              set(GROWN, module.memory.grow(c32(SLOT_PAGES))),
              module.br('direct', module.i32.eq(get(GROWN), c32(-1))),
              module.i32.store(REGION, 4, slotAt(get(SLOT_I)), module.i32.mul(get(GROWN), c32(PAGE)))
            ])
          ),
          module.memory.copy(slotField(REGION), add(get(SRC), c32(HEADER_BYTES)), get(LEN)),
          set(ID_L, module.global.get(NEXT_ID, i64)),
          module.global.set(NEXT_ID, module.i64.add(get(ID_L, i64), c64(1n))),
          module.i32.store(IN_USE, 4, slotAt(get(SLOT_I)), c32(1)),
          module.i32.store(LENGTH, 4, slotAt(get(SLOT_I)), get(LEN)),
          module.i64.store(ID, 8, slotAt(get(SLOT_I)), get(ID_L, i64)),
          module.i64.store(WRITTEN, 8, slotAt(get(SLOT_I)), get(NOW, i64)),
          module.memory.copy(forward(), get(SRC), c32(HEADER_BYTES)),
          module.i32.store(MIDSTATE_BYTES, 1, forward(), module.i32.or(module.i32.load(MIDSTATE_BYTES, 1, forward()), c32(FLAG_STASHED))),
          module.i32.store(HEADER_BYTES, 1, forward(), get(SLOT_I)),
          module.i32.store(HEADER_BYTES + 4, 1, forward(), get(LEN)),
          module.i64.store(HEADER_BYTES + 8, 1, forward(), get(ID_L, i64)),
          ic0.call_data_append(forward(), c32(HEADER_BYTES + STASH_REFERENCE_BYTES)),
          module.return()
        ]),
        ic0.call_data_append(get(SRC), get(SIZE))
      ])
    );
  }

  /**
   * Code for the method: resolves the reference at `ref` (an expression) into `dataLocal` and
   * `lenLocal`, freeing the slot, or runs `fail` (which must trap) if the slot no longer holds it.
   */
  const resolve = (ref, dataLocal, lenLocal, slotLocal, fail) => {
    const slot = () => module.i32.load(0, 1, ref());
    const entry = (off, t = i32) => (t === i32 ? module.i32.load(off, 4, slotAt(get(slotLocal))) : module.i64.load(off, 8, slotAt(get(slotLocal))));
    return module.block(null, [
      module.if(module.i32.or(module.i32.eqz(table()), module.i32.ge_u(slot(), c32(STASH_SLOTS))), fail()),
      set(slotLocal, slot()),
      module.if(
        module.i32.or(
          module.i32.eqz(entry(IN_USE)),
          module.i32.or(
            module.i32.ne(entry(LENGTH), module.i32.load(4, 1, ref())),
            module.i64.ne(entry(ID, i64), module.i64.load(8, 1, ref()))
          )
        ),
        fail()
      ),
      set(dataLocal, entry(REGION)),
      set(lenLocal, entry(LENGTH)),
      module.i32.store(IN_USE, 4, slotAt(get(slotLocal)), c32(0))
    ]);
  };
  return { resolve };
}
