// Rewrites the code section: injects the IC's instruction metering into every function body and
// renumbers function indices (call, return_call, ref.func) after the out-of-instructions import
// was added. Bytes between edits are copied verbatim, so a body is decoded once and never
// re-encoded.
//
// The algorithm is the IC's (`injections` and `inject_metering` in
// rs/embedders/src/wasm_utils/instrumentation.rs of dfinity/ic):
//  * A basic block starts at function entry and after every `loop`, `if`, `else`, `end`, `br`,
//    `br_if`, `br_table`, `return`, `unreachable`, `return_call*`. The block's static cost is the
//    sum of its instructions' costs, including the instruction that ends it; function entry
//    adds FUNCTION_ENTRY_COST.
//  * At the start of each block with a non-zero cost: `counter -= cost`. At function entry and at
//    the top of each loop body ("reentrant" blocks, even with cost 0) the counter is then checked
//    and `out_of_instructions` is called if it is negative (followed by `unreachable`: the host's
//    import throws, and a check with no way back costs V8 far less than one that merges into the
//    hot path; ≈1.18x → ≈1.10x on QuickJS). Other blocks are not checked: the overshoot is
//    bounded by the longest loop-free path.
//  * Before each memory.init/copy/fill and table.init/copy/fill, the size operand (top of the
//    stack) is passed through a helper that subtracts it from the counter, saturating at
//    i64::MIN, and checks.
//
// Unlike the IC (where the counter lives in a register Wasmtime manages), a mutable global in V8
// is a load and a store through the instance, and a counter kept in a local but written back
// and reloaded around every call still goes through memory on each call. So the counter is
// threaded through the module's own functions as a value (instrument.ts): each defined function
// becomes an "internal" function with an extra i64 parameter (the counter on entry, used as the
// counter local) and an extra i64 result (the counter on exit). In bodies:
//  * `call f` of a defined function passes the local and takes the callee's counter back;
//    `return_call f` passes it. `return` pushes it; the body is wrapped in a block whose label
//    takes every branch to the function's own label, followed by `local.get counter`.
//  * Calls to imports and `call_indirect` (the table holds reference wrappers that read and write
//    the global) write the local to the global ("flush") before and reload it after, so imports
//    (performance_counter, the System API's charges, out_of_instructions) see and change the
//    exact count. `return_call` to an import and `return_call_indirect` become a call followed
//    by `global.get counter; return`: their callees return nothing for the counter.
//  * `unreachable` flushes, so an explicit trap leaves the exact count in the global. Other traps
//    (an execution that is rolled back anyway) may leave the global behind by what the frames
//    on the stack charged since the last flush.
// Local indices from the function's parameter count up move up by one (the counter parameter).

import { ByteReader, ByteWriter, InvalidWasmError, encodeS64, encodeU32 } from './binary.js';
import { FC_CHARGES_SIZE, FC_COST, FD_COST, FUNCTION_ENTRY_COST, OPCODE_COST } from './costs.js';
import { BlockType, FC_LEB_COUNT, FD_IMMEDIATES, IMMEDIATES, Imm, Op, OpFC, SIMD_MEMORY_WRITES, SimdImm, ValType, describeOpcode } from './opcodes.js';
import { MEMORY_SIZE_SUFFIX, markStoreCode, shiftedOffset } from './write_tracking.js';

export interface MeteringIndices {
  /** global index of the instruction counter */
  counterGlobal: number;
  /** function index (after renumbering) of the imported out_of_instructions */
  outOfInstructionsFunc: number;
  /** function index of the appended helper that charges a bulk operation's size */
  chargeSizeFunc: number;
  /** function indices >= this are defined functions: called internally at index + 1 */
  firstDefinedFunc: number;
  /** index a `ref.func` of original function `f` refers to (an import, or a defined function's reference wrapper) */
  refFunc(f: number): number;
  /**
   * Profiling only (off unless asked for, never in a replica that serves): global index of the
   * i64 that sums the i-th defined function's charges (its own blocks and size operands), and
   * of the global the size helper leaves each size in. Unmetered code updates them, so the
   * counts are the same with and without.
   */
  profile?: { firstGlobal: number; lastSizeGlobal: number };
  /** function indices of write tracking's helpers (write_tracking.ts) */
  writes: { growFunc: number; fillOperandsFunc: number; copyOperandsFunc: number };
}

/** What one defined function's body needs to know about its signature. */
export interface BodySignature {
  /** number of parameters before the counter parameter */
  params: number;
  /** block type of the function's results, for the block wrapping the body */
  resultBlockType: Uint8Array;
}

const SCOPE_NON_REENTRANT = 0;
const SCOPE_REENTRANT = 1;

// What the instruction ends, per one-byte opcode: the scope of the block starting after it.
const ENDS_BLOCK_NONE = 0;
const ENDS_BLOCK_REENTRANT = 1; // loop
const ENDS_BLOCK_OTHER = 2; // if, else, end, br*, return, unreachable, return_call*
const ENDS_BLOCK: Uint8Array = (() => {
  const t = new Uint8Array(256);
  t[Op.loop] = ENDS_BLOCK_REENTRANT;
  for (const op of [Op.if, Op.else, Op.end, Op.br, Op.brIf, Op.brTable, Op.return, Op.unreachable, Op.returnCall, Op.returnCallIndirect]) {
    t[op] = ENDS_BLOCK_OTHER;
  }
  return t;
})();

// Code inserted before an instruction.
const BEFORE_FLUSH = 0; // local.get L; global.set C
const BEFORE_PASS = 1; // local.get L (the counter argument or result)
const BEFORE_STORE = 2; // local.set V; local.tee A; local.get V (V: the temp of the stored type)
const BEFORE_CALL = 3; // call F (a write-tracking helper that leaves the stack's shape)
// Code inserted after a call.
const AFTER_RELOAD = 0; // global.get C; local.set L
const AFTER_TAKE = 1; // local.set L (the callee's counter result)
const AFTER_RETURN = 2; // global.get C; return (a tail call to an import, made a call)
const AFTER_MARK = 3; // map[(A + offset) >> 12] = 1 (write_tracking.ts)
const AFTER_MEMORY_SIZE = 4; // i32.const RESERVED_PAGES; i32.sub
// Bytes replaced at a position.
const REPLACE_U32 = 0; // an index immediate: written as LEB128
const REPLACE_OPCODE = 1; // one opcode byte
const REPLACE_CALL = 2; // call F, in place of an instruction (memory.grow)

// Per one-byte store opcode, the temp local its value goes through (0: not a store).
const TEMP_I32 = 1;
const TEMP_I64 = 2;
const TEMP_F32 = 3;
const TEMP_F64 = 4;
const TEMP_V128 = 5; // declared only in bodies with a SIMD store
const STORED_TEMP: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const op of [0x36, 0x3a, 0x3b]) t[op] = TEMP_I32; // i32.store, i32.store8, i32.store16
  for (const op of [0x37, 0x3c, 0x3d, 0x3e]) t[op] = TEMP_I64; // i64.store, i64.store8/16/32
  t[0x38] = TEMP_F32;
  t[0x39] = TEMP_F64;
  return t;
})();

/** Per-body scratch lists, reused across bodies to avoid allocation. Each is sorted by position. */
class Edits {
  staticPos: number[] = [];
  staticCost: number[] = [];
  staticScope: number[] = [];
  sizePos: number[] = [];
  beforePos: number[] = [];
  beforeKind: number[] = [];
  beforeValue: number[] = [];
  afterPos: number[] = [];
  afterKind: number[] = [];
  afterValue: number[] = [];
  replacePos: number[] = [];
  replaceEnd: number[] = [];
  replaceKind: number[] = [];
  replaceValue: number[] = [];
  clear(): void {
    this.staticPos.length = this.staticCost.length = this.staticScope.length = 0;
    this.sizePos.length = 0;
    this.beforePos.length = this.beforeKind.length = this.beforeValue.length = 0;
    this.afterPos.length = this.afterKind.length = this.afterValue.length = 0;
    this.replacePos.length = this.replaceEnd.length = this.replaceKind.length = this.replaceValue.length = 0;
  }

  /**
   * A flush before the instruction at `at`, whose execution does not go on in this function with
   * the local (a call that reloads after it, a trap). Right after an import call's reload both are
   * no-ops: the global already holds the count.
   */
  flush(at: number): void {
    const n = this.afterPos.length;
    if (n > 0 && this.afterPos[n - 1] === at && this.afterKind[n - 1] === AFTER_RELOAD) {
      this.afterPos.length = this.afterKind.length = this.afterValue.length = n - 1;
    } else {
      this.before(at, BEFORE_FLUSH);
    }
  }

  before(at: number, kind: number, value = 0): void {
    this.beforePos.push(at);
    this.beforeKind.push(kind);
    this.beforeValue.push(value);
  }

  after(at: number, kind: number, value = 0): void {
    this.afterPos.push(at);
    this.afterKind.push(kind);
    this.afterValue.push(value);
  }

  replace(at: number, end: number, kind: number, value: number): void {
    this.replacePos.push(at);
    this.replaceEnd.push(end);
    this.replaceKind.push(kind);
    this.replaceValue.push(value);
  }
}

class BodyRewriter {
  private readonly edits = new Edits();
  private readonly counter: Uint8Array; // LEB of the counter global's index
  private readonly outOfInstructions: Uint8Array; // LEB of out_of_instructions' function index
  private readonly chargeSize: Uint8Array; // i64.extend_i32_u; call charge_size; i32.wrap_i64
  /** LEB of the current body's counter local (its last parameter) */
  private local: Uint8Array = new Uint8Array(0);
  /** LEB of the current body's profile global, when profiling */
  private profileGlobal: Uint8Array | undefined;
  /** LEBs of the current body's write-tracking temps: the address, then by STORED_TEMP */
  private temps: Uint8Array[] = [];
  /** Whether the current body has a SIMD store, so declares the v128 temp */
  private simdStores = false;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly idx: MeteringIndices
  ) {
    this.counter = encodeU32(idx.counterGlobal);
    this.outOfInstructions = encodeU32(idx.outOfInstructionsFunc);
    this.chargeSize = Uint8Array.of(Op.i64ExtendI32U, Op.call, ...encodeU32(idx.chargeSizeFunc), Op.i32WrapI64);
  }

  /**
   * Decodes the body `bytes[start, end)` of a defined function and writes the instrumented body
   * of its internal function (without size) to `out`: its locals, then the code.
   */
  rewrite(start: number, end: number, sig: BodySignature, out: ByteWriter, definedIndex: number): void {
    const b = this.bytes;
    this.profileGlobal = this.idx.profile && encodeU32(this.idx.profile.firstGlobal + definedIndex);
    const r = new ByteReader(b, start, end);
    const groups = r.u32();
    const groupsStart = r.pos;
    let locals = sig.params;
    for (let i = 0; i < groups; i++) {
      locals += r.u32();
      r.skipLeb();
    }
    if (locals >= 2 ** 32 - 7) r.fail('too many locals');
    const codeStart = r.pos;
    this.local = encodeU32(sig.params);
    // The temps follow the declared locals, which the counter parameter moved up by one.
    this.temps = [0, 1, 2, 3, 4, 5].map((i) => encodeU32(locals + 1 + i));
    this.simdStores = false;
    this.scan(codeStart, end, sig.params);
    out.u32(groups + (this.simdStores ? 5 : 4));
    out.bytes(b.subarray(groupsStart, codeStart));
    out.bytes([2, ValType.i32, 1, ValType.i64, 1, ValType.f32, 1, ValType.f64]);
    if (this.simdStores) out.bytes([1, ValType.v128]);
    out.u8(Op.block);
    out.bytes(sig.resultBlockType);
    this.emit(codeStart, end, out);
    // The block's end was the function's; the function now ends with the counter on top.
    out.u8(Op.localGet);
    out.bytes(this.local);
    out.u8(Op.end);
  }

  /** Walks the instructions, recording injection points and index immediates to rewrite. */
  private scan(codeStart: number, end: number, params: number): void {
    const b = this.bytes;
    const e = this.edits;
    const firstDefined = this.idx.firstDefinedFunc;
    e.clear();
    let p = codeStart;
    let depth = 0;
    let blockPos = codeStart;
    let blockCost = FUNCTION_ENTRY_COST;
    let blockScope = SCOPE_REENTRANT;
    /** The LEB128 u32 at `p`, moving past it (bounds: the body's final check catches overruns). */
    const readU32 = (): number => {
      let value = 0;
      let shift = 0;
      let byte: number;
      do {
        byte = b[p++];
        value += (byte & 0x7f) * 2 ** shift;
        shift += 7;
      } while (byte & 0x80);
      return value;
    };
    for (;;) {
      if (p >= end) throw new InvalidWasmError(`function body ending at byte offset ${end} has no final end`);
      const at = p;
      const op = b[p++];
      let cost = OPCODE_COST[op];
      switch (IMMEDIATES[op]) {
        case Imm.none:
          if (op === Op.return) e.before(at, BEFORE_PASS);
          // An explicit trap leaves the exact count where the host reads it.
          else if (op === Op.unreachable) e.flush(at);
          break;
        case Imm.leb:
          if (op === Op.localGet || op === Op.localSet || op === Op.localTee) {
            const immStart = p;
            const index = readU32();
            if (index >= params) e.replace(immStart, p, REPLACE_U32, index + 1);
          } else {
            while (b[p++] & 0x80);
            // The canister's page count, not the memory's (write_tracking.ts).
            if (op === Op.memorySize) e.after(p, AFTER_MEMORY_SIZE);
            else if (op === Op.memoryGrow) e.replace(at, p, REPLACE_CALL, this.idx.writes.growFunc);
          }
          break;
        case Imm.funcIndex: {
          const immStart = p;
          const index = readU32();
          const defined = index >= firstDefined;
          if (op === Op.refFunc) {
            if (defined) e.replace(immStart, p, REPLACE_U32, this.idx.refFunc(index));
          } else if (defined) {
            // call, return_call of an internal function: the counter goes along as a value.
            e.before(at, BEFORE_PASS);
            e.replace(immStart, p, REPLACE_U32, index + 1);
            if (op === Op.call) e.after(p, AFTER_TAKE);
          } else if (op === Op.call) {
            e.flush(at);
            e.after(p, AFTER_RELOAD);
          } else {
            // return_call of an import, whose results lack the counter: call, then return.
            e.flush(at);
            e.replace(at, at + 1, REPLACE_OPCODE, Op.call);
            e.after(p, AFTER_RETURN);
          }
          break;
        }
        case Imm.leb2:
          while (b[p++] & 0x80);
          while (b[p++] & 0x80);
          // call_indirect, return_call_indirect: the table holds reference wrappers.
          e.flush(at);
          if (op === Op.callIndirect) {
            e.after(p, AFTER_RELOAD);
          } else {
            e.replace(at, at + 1, REPLACE_OPCODE, Op.callIndirect);
            e.after(p, AFTER_RETURN);
          }
          break;
        case Imm.brTable: {
          const r = new ByteReader(b, p, end);
          const n = r.u32();
          for (let i = 0; i <= n; i++) r.skipLeb();
          p = r.pos;
          break;
        }
        case Imm.memarg: {
          const align = b[p]; // alignment exponents are < 64, so one byte
          while (b[p++] & 0x80);
          if (align & 0x40) throw new InvalidWasmError(`a memory index (multi-memory) at byte offset ${at} is not supported`);
          const offsetStart = p;
          const offset = readU32();
          e.replace(offsetStart, p, REPLACE_U32, shiftedOffset(offset));
          const temp = STORED_TEMP[op];
          if (temp !== 0) {
            e.before(at, BEFORE_STORE, temp);
            e.after(p, AFTER_MARK, offset);
          }
          break;
        }
        case Imm.fixed4:
          p += 4;
          break;
        case Imm.fixed8:
          p += 8;
          break;
        case Imm.selectT: {
          const r = new ByteReader(b, p, end);
          const n = r.u32();
          for (let i = 0; i < n; i++) r.skipLeb();
          p = r.pos;
          break;
        }
        case Imm.prefixFC: {
          const r = new ByteReader(b, p, end);
          const sub = r.u32();
          const count = FC_LEB_COUNT[sub];
          if (count === undefined) throw new InvalidWasmError(`unsupported 0xFC sub-opcode ${sub} at byte offset ${at}`);
          for (let i = 0; i < count; i++) r.skipLeb();
          p = r.pos;
          cost = FC_COST[sub];
          // The IC charges the size before the operator runs, from the operand on the stack.
          if (FC_CHARGES_SIZE[sub]) e.sizePos.push(at);
          if (sub === OpFC.memoryFill || sub === OpFC.memoryInit) e.before(at, BEFORE_CALL, this.idx.writes.fillOperandsFunc);
          else if (sub === OpFC.memoryCopy) e.before(at, BEFORE_CALL, this.idx.writes.copyOperandsFunc);
          break;
        }
        case Imm.prefixFD: {
          const r = new ByteReader(b, p, end);
          const sub = r.u32();
          const imm = sub < FD_IMMEDIATES.length ? FD_IMMEDIATES[sub] : SimdImm.invalid;
          if (imm === SimdImm.invalid) throw new InvalidWasmError(`unsupported 0xFD (SIMD) sub-opcode ${sub} at byte offset ${at}`);
          let offset = -1;
          if (imm === SimdImm.memarg || imm === SimdImm.memargLane) {
            if (r.u32() & 0x40) throw new InvalidWasmError(`a memory index (multi-memory) at byte offset ${at} is not supported`);
            // The offset shifts as every load's and store's does (write_tracking.ts).
            const offsetStart = r.pos;
            offset = r.u32();
            e.replace(offsetStart, r.pos, REPLACE_U32, shiftedOffset(offset));
          }
          if (imm === SimdImm.bytes16) r.skip(16);
          if (imm === SimdImm.lane || imm === SimdImm.memargLane) r.skip(1);
          p = r.pos;
          cost = FD_COST[sub];
          // v128.store and the lane stores: (address, vector) on the stack, like a scalar store.
          if (SIMD_MEMORY_WRITES.has(sub)) {
            this.simdStores = true;
            e.before(at, BEFORE_STORE, TEMP_V128);
            e.after(p, AFTER_MARK, offset);
          }
          break;
        }
        default:
          throw new InvalidWasmError(`${describeOpcode(op)} at byte offset ${at} is not supported`);
      }
      blockCost += cost;
      const ends = ENDS_BLOCK[op];
      if (ends !== ENDS_BLOCK_NONE) {
        if (blockScope === SCOPE_REENTRANT || blockCost > 0) {
          e.staticPos.push(blockPos);
          e.staticCost.push(blockCost);
          e.staticScope.push(blockScope);
        }
        blockPos = p;
        blockCost = 0;
        blockScope = ends === ENDS_BLOCK_REENTRANT ? SCOPE_REENTRANT : SCOPE_NON_REENTRANT;
        if (op === Op.end) {
          if (depth === 0) break;
          depth--;
        } else if (op === Op.loop || op === Op.if) {
          depth++;
        }
      } else if (op === Op.block) {
        depth++;
      }
    }
    if (p !== end) throw new InvalidWasmError(`function body ending at byte offset ${end} has bytes after its final end (at ${p})`);
    // The block after the final `end` is empty: cost 0, never recorded.
  }

  /**
   * Merges the sorted edit lists into the output. At one position the order is: what follows a
   * call that ends there, a size charge, a block charge, what precedes the instruction there,
   * then replaced bytes. A size charge comes before the block charge of the same instruction as
   * in the IC (its injection points are stably sorted and the size point is recorded first).
   */
  private emit(codeStart: number, end: number, out: ByteWriter): void {
    const b = this.bytes;
    const e = this.edits;
    let copyFrom = codeStart;
    let ai = 0;
    let si = 0;
    let di = 0;
    let bi = 0;
    let ri = 0;
    const na = e.afterPos.length;
    const ns = e.staticPos.length;
    const nd = e.sizePos.length;
    const nb = e.beforePos.length;
    const nr = e.replacePos.length;
    for (;;) {
      const ap = ai < na ? e.afterPos[ai] : Infinity;
      const sp = si < ns ? e.staticPos[si] : Infinity;
      const dp = di < nd ? e.sizePos[di] : Infinity;
      const bp = bi < nb ? e.beforePos[bi] : Infinity;
      const rp = ri < nr ? e.replacePos[ri] : Infinity;
      const next = Math.min(ap, sp, dp, bp, rp);
      if (next === Infinity) break;
      out.bytes(b.subarray(copyFrom, next));
      copyFrom = next;
      if (ap === next) {
        const kind = e.afterKind[ai++];
        if (kind === AFTER_TAKE) {
          out.u8(Op.localSet);
          out.bytes(this.local);
        } else if (kind === AFTER_RELOAD) {
          this.emitReload(out);
        } else if (kind === AFTER_MARK) {
          out.bytes(markStoreCode(this.temps[0], e.afterValue[ai - 1]));
        } else if (kind === AFTER_MEMORY_SIZE) {
          out.bytes(MEMORY_SIZE_SUFFIX);
        } else {
          out.u8(Op.globalGet);
          out.bytes(this.counter);
          out.u8(Op.return);
        }
      } else if (dp === next) {
        this.emitFlush(out);
        out.bytes(this.chargeSize);
        this.emitReload(out);
        if (this.profileGlobal) this.emitProfile(out, [Op.globalGet, ...encodeU32(this.idx.profile!.lastSizeGlobal)]);
        di++;
      } else if (sp === next) {
        this.emitCharge(out, e.staticCost[si], e.staticScope[si] === SCOPE_REENTRANT);
        si++;
      } else if (bp === next) {
        const kind = e.beforeKind[bi];
        const value = e.beforeValue[bi++];
        if (kind === BEFORE_FLUSH) {
          this.emitFlush(out);
        } else if (kind === BEFORE_PASS) {
          out.u8(Op.localGet);
          out.bytes(this.local);
        } else if (kind === BEFORE_STORE) {
          const v = this.temps[value];
          out.u8(Op.localSet);
          out.bytes(v);
          out.u8(Op.localTee);
          out.bytes(this.temps[0]);
          out.u8(Op.localGet);
          out.bytes(v);
        } else {
          out.u8(Op.call);
          out.u32(value);
        }
      } else {
        const kind = e.replaceKind[ri];
        if (kind === REPLACE_U32) out.u32(e.replaceValue[ri]);
        else if (kind === REPLACE_CALL) {
          out.u8(Op.call);
          out.u32(e.replaceValue[ri]);
        } else out.u8(e.replaceValue[ri]);
        copyFrom = e.replaceEnd[ri];
        ri++;
      }
    }
    out.bytes(b.subarray(copyFrom, end));
  }

  /** P += (the i64 that `amount` pushes), on the current body's profile global */
  private emitProfile(out: ByteWriter, amount: number[]): void {
    out.u8(Op.globalGet);
    out.bytes(this.profileGlobal!);
    out.bytes(amount);
    out.u8(Op.i64Add);
    out.u8(Op.globalSet);
    out.bytes(this.profileGlobal!);
  }

  /** local.get L; global.set C */
  private emitFlush(out: ByteWriter): void {
    out.u8(Op.localGet);
    out.bytes(this.local);
    out.u8(Op.globalSet);
    out.bytes(this.counter);
  }

  /** global.get C; local.set L */
  private emitReload(out: ByteWriter): void {
    out.u8(Op.globalGet);
    out.bytes(this.counter);
    out.u8(Op.localSet);
    out.bytes(this.local);
  }

  /** L -= cost; checked: if (L < 0) { flush; call out_of_instructions; unreachable } */
  private emitCharge(out: ByteWriter, cost: number, checked: boolean): void {
    if (this.profileGlobal) this.emitProfile(out, [Op.i64Const, ...encodeS64(BigInt(cost))]);
    out.u8(Op.localGet);
    out.bytes(this.local);
    out.u8(Op.i64Const);
    out.s64(cost);
    out.u8(Op.i64Sub);
    out.u8(checked ? Op.localTee : Op.localSet);
    out.bytes(this.local);
    if (!checked) return;
    out.bytes([Op.i64Const, 0, Op.i64LtS, Op.if, BlockType.empty]);
    this.emitFlush(out);
    out.u8(Op.call);
    out.bytes(this.outOfInstructions);
    // The host's out_of_instructions throws. A path that never comes back keeps the check cheap:
    // with a reload here (a value merging into the hot path), V8 spilled around every check.
    out.u8(Op.unreachable);
    out.u8(Op.end);
  }
}

/**
 * The helper the size charges call: `(param $size i64) (result i64)`, returns its argument so
 * the operand stack is unchanged. The IC's `decr_instruction_counter`, except that an
 * out_of_instructions that returns traps, as the checks in bodies do.
 */
export function chargeSizeBody(counterGlobal: number, outOfInstructionsFunc: number, lastSizeGlobal?: number): Uint8Array {
  const c = encodeU32(counterGlobal);
  const body = [
    ...[1, 1, ValType.i64], // one local: $new i64
    ...(lastSizeGlobal === undefined ? [] : [Op.localGet, 0, Op.globalSet, ...encodeU32(lastSizeGlobal)]),
    ...[Op.globalGet, ...c, Op.localGet, 0, Op.i64Sub, Op.localTee, 1],
    // If the subtraction wrapped (new > old), saturate at i64::MIN.
    ...[Op.globalGet, ...c, Op.i64GtS, Op.if, ValType.i64],
    ...[Op.i64Const, ...encodeS64(-(2n ** 63n)), Op.else, Op.localGet, 1, Op.end],
    ...[Op.globalSet, ...c],
    ...[Op.globalGet, ...c, Op.i64Const, 0, Op.i64LtS, Op.if, BlockType.empty],
    ...[Op.call, ...encodeU32(outOfInstructionsFunc), Op.unreachable, Op.end],
    ...[Op.localGet, 0, Op.end]
  ];
  return Uint8Array.from(body);
}

/**
 * Rewrites the code section payload `bytes[start, end)`: every body metered and renumbered,
 * then the bodies `extraBodies()` returns appended (called after the rewrite, so that it may
 * depend on what the rewrite found). `signatures[i]` describes the i-th defined function.
 */
export function meterCodeSection(
  bytes: Uint8Array,
  start: number,
  end: number,
  idx: MeteringIndices,
  signatures: readonly BodySignature[],
  extraBodies: () => readonly Uint8Array[]
): Uint8Array {
  const r = new ByteReader(bytes, start, end);
  const count = r.u32();
  // Metering adds roughly 40% to Azle's code; start big enough to rarely regrow.
  const out = new ByteWriter(Math.ceil((end - start) * 1.6) + 1024);
  const body = new ByteWriter(1 << 16);
  const rewriter = new BodyRewriter(bytes, idx);
  if (count !== signatures.length) r.fail(`code section has ${count} bodies for ${signatures.length} functions`);
  for (let i = 0; i < count; i++) {
    const size = r.u32();
    const bodyStart = r.pos;
    r.skip(size);
    body.reset();
    rewriter.rewrite(bodyStart, bodyStart + size, signatures[i], body, i);
    out.u32(body.length);
    out.bytes(body.view());
  }
  if (!r.atEnd) r.fail('code section has bytes after its last body');
  const extras = extraBodies();
  for (const extra of extras) {
    out.u32(extra.length);
    out.bytes(extra);
  }
  const section = new ByteWriter(out.length + 5);
  section.u32(count + extras.length);
  section.bytes(out.view());
  return section.finish();
}

/**
 * A reference wrapper: the defined function's original signature, for everyone who reaches it
 * other than a direct call (the host through exports and the table, call_indirect, the start
 * function). Takes the counter from the global, calls the internal function, puts it back.
 */
export function referenceWrapperBody(params: number, internalFunc: number, counterGlobal: number): Uint8Array {
  const w = new ByteWriter(8 + params * 3);
  w.u8(0); // no locals
  for (let i = 0; i < params; i++) {
    w.u8(Op.localGet);
    w.u32(i);
  }
  w.u8(Op.globalGet);
  w.u32(counterGlobal);
  w.u8(Op.call);
  w.u32(internalFunc);
  w.u8(Op.globalSet);
  w.u32(counterGlobal);
  w.u8(Op.end);
  return w.finish();
}
