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
//    and `out_of_instructions` is called if it is negative. Other blocks are not checked: the
//    overshoot is bounded by the longest loop-free path.
//  * Before each memory.init/copy/fill and table.init/copy/fill, the size operand (top of the
//    stack) is passed through a helper that subtracts it from the counter, saturating at
//    i64::MIN, and checks.
//
// Unlike the IC (where the counter lives in a register Wasmtime manages), a mutable global in V8
// is a load and a store through the instance on every tiny block, a dependency chain that made
// the QuickJS interpreter 4x slower. So each function caches the counter in an extra i64 local:
// loaded from the global at entry, charged and checked in the local, written back ("flushed")
// wherever the value can be observed outside the function — before every call (callees, ic0
// imports such as performance_counter and out_of_instructions read or charge the global), before
// return, return_call*, branches to the function's own label, the final `end` and `unreachable`
// — and reloaded after every call. The global thus holds exactly the IC's value at every point
// anyone can read it, and the check sees the same values as before; only a trap in the middle of
// a function (an execution that is rolled back anyway) may leave the global behind by the charges
// since the last flush.

import { ByteReader, ByteWriter, InvalidWasmError, encodeS64, encodeU32 } from './binary.js';
import { FC_CHARGES_SIZE, FC_COST, FUNCTION_ENTRY_COST, OPCODE_COST } from './costs.js';
import { BlockType, FC_LEB_COUNT, IMMEDIATES, Imm, Op, ValType, describeOpcode } from './opcodes.js';

export interface MeteringIndices {
  /** global index of the instruction counter */
  counterGlobal: number;
  /** function index (after renumbering) of the imported out_of_instructions */
  outOfInstructionsFunc: number;
  /** function index of the appended helper that charges a bulk operation's size */
  chargeSizeFunc: number;
  /** function indices >= this are defined functions and move up by one */
  firstDefinedFunc: number;
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

/** Per-body scratch lists, reused across bodies to avoid allocation. */
class Edits {
  staticPos: number[] = [];
  staticCost: number[] = [];
  staticScope: number[] = [];
  sizePos: number[] = [];
  funcPos: number[] = [];
  funcEnd: number[] = [];
  funcIndex: number[] = [];
  /** before the instruction here: global = local */
  flushPos: number[] = [];
  /** after the call ending here: local = global */
  reloadPos: number[] = [];
  clear(): void {
    this.staticPos.length = this.staticCost.length = this.staticScope.length = 0;
    this.sizePos.length = 0;
    this.funcPos.length = this.funcEnd.length = this.funcIndex.length = 0;
    this.flushPos.length = this.reloadPos.length = 0;
  }

  /**
   * A flush before the instruction at `at`. Right after a call's reload it is a no-op and is
   * dropped; the reload is dropped too unless execution may go on in this function with the
   * local (`br_if` not taken): before another call (which reloads) or an exit it is dead.
   */
  flush(at: number, continuesWithLocal: boolean): void {
    const n = this.reloadPos.length;
    if (n > 0 && this.reloadPos[n - 1] === at) {
      if (!continuesWithLocal) this.reloadPos.length = n - 1;
    } else {
      this.flushPos.push(at);
    }
  }
}

class BodyRewriter {
  private readonly edits = new Edits();
  private readonly counter: Uint8Array; // LEB of the counter global's index
  private readonly outOfInstructions: Uint8Array; // LEB of out_of_instructions' function index
  private readonly chargeSize: Uint8Array; // i64.extend_i32_u; call charge_size; i32.wrap_i64
  /** LEB of the current body's counter local */
  private local: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly bytes: Uint8Array,
    private readonly idx: MeteringIndices
  ) {
    this.counter = encodeU32(idx.counterGlobal);
    this.outOfInstructions = encodeU32(idx.outOfInstructionsFunc);
    this.chargeSize = Uint8Array.of(Op.i64ExtendI32U, Op.call, ...encodeU32(idx.chargeSizeFunc), Op.i32WrapI64);
  }

  /**
   * Decodes the body `bytes[start, end)` of a function with `params` parameters and writes the
   * instrumented body (without size) to `out`: its locals plus the counter local, then the code.
   */
  rewrite(start: number, end: number, params: number, out: ByteWriter): void {
    const b = this.bytes;
    const r = new ByteReader(b, start, end);
    const groups = r.u32();
    const groupsStart = r.pos;
    let locals = params;
    for (let i = 0; i < groups; i++) {
      locals += r.u32();
      r.skipLeb();
    }
    if (locals >= 2 ** 32 - 1) r.fail('too many locals');
    const codeStart = r.pos;
    this.local = encodeU32(locals);
    this.scan(codeStart, end);
    out.u32(groups + 1);
    out.bytes(b.subarray(groupsStart, codeStart));
    out.u32(1);
    out.u8(ValType.i64);
    this.emitReload(out);
    this.emit(codeStart, end, out);
  }

  /** Walks the instructions, recording injection points and function-index immediates. */
  private scan(codeStart: number, end: number): void {
    const b = this.bytes;
    const e = this.edits;
    const firstDefined = this.idx.firstDefinedFunc;
    e.clear();
    let p = codeStart;
    let depth = 0;
    let blockPos = codeStart;
    let blockCost = FUNCTION_ENTRY_COST;
    let blockScope = SCOPE_REENTRANT;
    for (;;) {
      if (p >= end) throw new InvalidWasmError(`function body ending at byte offset ${end} has no final end`);
      const at = p;
      const op = b[p++];
      let cost = OPCODE_COST[op];
      switch (IMMEDIATES[op]) {
        case Imm.none:
          // The function's value of the counter becomes observable: it returns or traps.
          if (op === Op.return || op === Op.unreachable || (op === Op.end && depth === 0)) e.flush(at, false);
          break;
        case Imm.leb:
          if (op === Op.br || op === Op.brIf) {
            // A branch to the function's own label returns.
            let label = 0;
            let shift = 0;
            let byte: number;
            do {
              byte = b[p++];
              label += (byte & 0x7f) * 2 ** shift;
              shift += 7;
            } while (byte & 0x80);
            if (label === depth) e.flush(at, op === Op.brIf);
          } else {
            while (b[p++] & 0x80);
          }
          break;
        case Imm.funcIndex: {
          const immStart = p;
          let index = 0;
          let shift = 0;
          let byte: number;
          do {
            byte = b[p++];
            index |= (byte & 0x7f) << shift;
            shift += 7;
          } while (byte & 0x80);
          index >>>= 0;
          if (index >= firstDefined) {
            e.funcPos.push(immStart);
            e.funcEnd.push(p);
            e.funcIndex.push(index + 1);
          }
          if (op === Op.call) {
            e.flush(at, false);
            e.reloadPos.push(p);
          } else if (op === Op.returnCall) {
            e.flush(at, false);
          }
          break;
        }
        case Imm.leb2:
          while (b[p++] & 0x80);
          while (b[p++] & 0x80);
          // call_indirect, return_call_indirect
          e.flush(at, false);
          if (op === Op.callIndirect) e.reloadPos.push(p);
          break;
        case Imm.brTable: {
          const r = new ByteReader(b, p, end);
          const n = r.u32();
          let leaves = false;
          for (let i = 0; i <= n; i++) if (r.u32() === depth) leaves = true;
          p = r.pos;
          if (leaves) e.flush(at, false);
          break;
        }
        case Imm.memarg: {
          const align = b[p]; // alignment exponents are < 64, so one byte
          while (b[p++] & 0x80);
          if (align & 0x40) while (b[p++] & 0x80); // multi-memory: memory index
          while (b[p++] & 0x80);
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
   * Merges the sorted edit lists into the output. At one position the order is: the reload after
   * a call that ends there, a size charge, a block charge, a flush before the instruction there.
   * A size charge comes before the block charge of the same instruction as in the IC (its
   * injection points are stably sorted and the size point is recorded first).
   */
  private emit(codeStart: number, end: number, out: ByteWriter): void {
    const b = this.bytes;
    const e = this.edits;
    let copyFrom = codeStart;
    let ri = 0;
    let si = 0;
    let di = 0;
    let li = 0;
    let fi = 0;
    const nr = e.reloadPos.length;
    const ns = e.staticPos.length;
    const nd = e.sizePos.length;
    const nl = e.flushPos.length;
    const nf = e.funcPos.length;
    for (;;) {
      const rp = ri < nr ? e.reloadPos[ri] : Infinity;
      const sp = si < ns ? e.staticPos[si] : Infinity;
      const dp = di < nd ? e.sizePos[di] : Infinity;
      const lp = li < nl ? e.flushPos[li] : Infinity;
      const fp = fi < nf ? e.funcPos[fi] : Infinity;
      const next = Math.min(rp, sp, dp, lp, fp);
      if (next === Infinity) break;
      out.bytes(b.subarray(copyFrom, next));
      copyFrom = next;
      if (rp === next) {
        this.emitReload(out);
        ri++;
      } else if (dp === next) {
        this.emitFlush(out);
        out.bytes(this.chargeSize);
        this.emitReload(out);
        di++;
      } else if (sp === next) {
        this.emitCharge(out, e.staticCost[si], e.staticScope[si] === SCOPE_REENTRANT);
        si++;
      } else if (lp === next) {
        this.emitFlush(out);
        li++;
      } else {
        out.u32(e.funcIndex[fi]);
        copyFrom = e.funcEnd[fi];
        fi++;
      }
    }
    out.bytes(b.subarray(copyFrom, end));
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

  /** L -= cost; checked: if (L < 0) { flush; call out_of_instructions; reload } */
  private emitCharge(out: ByteWriter, cost: number, checked: boolean): void {
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
    // The host's out_of_instructions throws; should one ever return, go on with its counter.
    this.emitReload(out);
    out.u8(Op.end);
  }
}

/**
 * The helper the size charges call: `(param $size i64) (result i64)`, returns its argument so
 * the operand stack is unchanged. Same body as the IC's `decr_instruction_counter`.
 */
export function chargeSizeBody(counterGlobal: number, outOfInstructionsFunc: number): Uint8Array {
  const c = encodeU32(counterGlobal);
  const body = [
    ...[1, 1, ValType.i64], // one local: $new i64
    ...[Op.globalGet, ...c, Op.localGet, 0, Op.i64Sub, Op.localTee, 1],
    // If the subtraction wrapped (new > old), saturate at i64::MIN.
    ...[Op.globalGet, ...c, Op.i64GtS, Op.if, ValType.i64],
    ...[Op.i64Const, ...encodeS64(-(2n ** 63n)), Op.else, Op.localGet, 1, Op.end],
    ...[Op.globalSet, ...c],
    ...[Op.globalGet, ...c, Op.i64Const, 0, Op.i64LtS, Op.if, BlockType.empty],
    ...[Op.call, ...encodeU32(outOfInstructionsFunc), Op.end],
    ...[Op.localGet, 0, Op.end]
  ];
  return Uint8Array.from(body);
}

/**
 * Rewrites the code section payload `bytes[start, end)`: every body metered and renumbered,
 * then `extraBodies` appended (their sizes are added here). `paramCounts[i]` is the number of
 * parameters of the i-th defined function (its counter local comes after its other locals).
 */
export function meterCodeSection(
  bytes: Uint8Array,
  start: number,
  end: number,
  idx: MeteringIndices,
  paramCounts: ArrayLike<number>,
  extraBodies: readonly Uint8Array[]
): Uint8Array {
  const r = new ByteReader(bytes, start, end);
  const count = r.u32();
  // Metering adds roughly 40% to Azle's code; start big enough to rarely regrow.
  const out = new ByteWriter(Math.ceil((end - start) * 1.6) + 1024);
  out.u32(count + extraBodies.length);
  const body = new ByteWriter(1 << 16);
  const rewriter = new BodyRewriter(bytes, idx);
  if (count !== paramCounts.length) r.fail(`code section has ${count} bodies for ${paramCounts.length} functions`);
  for (let i = 0; i < count; i++) {
    const size = r.u32();
    const bodyStart = r.pos;
    r.skip(size);
    body.reset();
    rewriter.rewrite(bodyStart, bodyStart + size, paramCounts[i], body);
    out.u32(body.length);
    out.bytes(body.view());
  }
  if (!r.atEnd) r.fail('code section has bytes after its last body');
  for (const extra of extraBodies) {
    out.u32(extra.length);
    out.bytes(extra);
  }
  return out.finish();
}
