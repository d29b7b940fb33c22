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
  clear(): void {
    this.staticPos.length = this.staticCost.length = this.staticScope.length = 0;
    this.sizePos.length = 0;
    this.funcPos.length = this.funcEnd.length = this.funcIndex.length = 0;
  }
}

class BodyRewriter {
  private readonly edits = new Edits();
  private readonly chargePrefix: Uint8Array; // global.get C; i64.const
  private readonly chargeSuffix: Uint8Array; // i64.sub; global.set C
  private readonly check: Uint8Array; // if (C < 0) call out_of_instructions
  private readonly chargeSize: Uint8Array; // i64.extend_i32_u; call charge_size; i32.wrap_i64

  constructor(
    private readonly bytes: Uint8Array,
    private readonly idx: MeteringIndices
  ) {
    const c = encodeU32(idx.counterGlobal);
    this.chargePrefix = Uint8Array.of(Op.globalGet, ...c, Op.i64Const);
    this.chargeSuffix = Uint8Array.of(Op.i64Sub, Op.globalSet, ...c);
    this.check = Uint8Array.of(
      ...[Op.globalGet, ...c, Op.i64Const, 0, Op.i64LtS, Op.if, BlockType.empty],
      ...[Op.call, ...encodeU32(idx.outOfInstructionsFunc), Op.end]
    );
    this.chargeSize = Uint8Array.of(Op.i64ExtendI32U, Op.call, ...encodeU32(idx.chargeSizeFunc), Op.i32WrapI64);
  }

  /** Decodes the body `bytes[start, end)` and writes the instrumented body (without size) to `out`. */
  rewrite(start: number, end: number, out: ByteWriter): void {
    const b = this.bytes;
    const r = new ByteReader(b, start, end);
    // Locals: vec of (count, value type); copied as they are.
    const groups = r.u32();
    for (let i = 0; i < groups; i++) {
      r.u32();
      r.skipLeb();
    }
    const codeStart = r.pos;
    this.scan(codeStart, end);
    out.bytes(b.subarray(start, codeStart));
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
      const op = b[p++];
      let cost = OPCODE_COST[op];
      switch (IMMEDIATES[op]) {
        case Imm.none:
          break;
        case Imm.leb:
          while (b[p++] & 0x80);
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
          break;
        }
        case Imm.leb2:
          while (b[p++] & 0x80);
          while (b[p++] & 0x80);
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
          const opStart = p - 1;
          const r = new ByteReader(b, p, end);
          const sub = r.u32();
          const count = FC_LEB_COUNT[sub];
          if (count === undefined) throw new InvalidWasmError(`unsupported 0xFC sub-opcode ${sub} at byte offset ${opStart}`);
          for (let i = 0; i < count; i++) r.skipLeb();
          p = r.pos;
          cost = FC_COST[sub];
          // The IC charges the size before the operator runs, from the operand on the stack.
          if (FC_CHARGES_SIZE[sub]) e.sizePos.push(opStart);
          break;
        }
        default:
          throw new InvalidWasmError(`${describeOpcode(op)} at byte offset ${p - 1} is not supported`);
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
   * Merges the three sorted edit lists into the output. Where a size charge and a block charge
   * fall on the same instruction, the size charge comes first, as in the IC (its injection
   * points are stably sorted and the size point is recorded first).
   */
  private emit(codeStart: number, end: number, out: ByteWriter): void {
    const b = this.bytes;
    const e = this.edits;
    let copyFrom = codeStart;
    let si = 0;
    let di = 0;
    let fi = 0;
    const ns = e.staticPos.length;
    const nd = e.sizePos.length;
    const nf = e.funcPos.length;
    for (;;) {
      const sp = si < ns ? e.staticPos[si] : Infinity;
      const dp = di < nd ? e.sizePos[di] : Infinity;
      const fp = fi < nf ? e.funcPos[fi] : Infinity;
      if (dp <= sp && dp <= fp) {
        if (dp === Infinity) break;
        out.bytes(b.subarray(copyFrom, dp));
        copyFrom = dp;
        out.bytes(this.chargeSize);
        di++;
      } else if (sp <= fp) {
        out.bytes(b.subarray(copyFrom, sp));
        copyFrom = sp;
        out.bytes(this.chargePrefix);
        out.s64(e.staticCost[si]);
        out.bytes(this.chargeSuffix);
        if (e.staticScope[si] === SCOPE_REENTRANT) out.bytes(this.check);
        si++;
      } else {
        out.bytes(b.subarray(copyFrom, fp));
        out.u32(e.funcIndex[fi]);
        copyFrom = e.funcEnd[fi];
        fi++;
      }
    }
    out.bytes(b.subarray(copyFrom, end));
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
 * then `extraBodies` appended (their sizes are added here).
 */
export function meterCodeSection(
  bytes: Uint8Array,
  start: number,
  end: number,
  idx: MeteringIndices,
  extraBodies: readonly Uint8Array[]
): Uint8Array {
  const r = new ByteReader(bytes, start, end);
  const count = r.u32();
  // Metering adds roughly 40% to Azle's code; start big enough to rarely regrow.
  const out = new ByteWriter(Math.ceil((end - start) * 1.6) + 1024);
  out.u32(count + extraBodies.length);
  const body = new ByteWriter(1 << 16);
  const rewriter = new BodyRewriter(bytes, idx);
  for (let i = 0; i < count; i++) {
    const size = r.u32();
    const bodyStart = r.pos;
    r.skip(size);
    body.reset();
    rewriter.rewrite(bodyStart, bodyStart + size, body);
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
