// Operator encodings: for each opcode, the shape of its immediates, so that a function body can
// be walked without building an AST. Covers MVP, sign-extension, non-trapping float-to-int,
// bulk memory, reference types, multi-value block types, tail calls and fixed-width SIMD (0xFD,
// which the IC executes deterministically; relaxed SIMD is not accepted). Threads (0xFE),
// exception handling and GC are rejected: Azle's target features do not include them.
// Spec: https://webassembly.github.io/spec/core/binary/instructions.html

export const Op = {
  unreachable: 0x00,
  nop: 0x01,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  brTable: 0x0e,
  return: 0x0f,
  call: 0x10,
  callIndirect: 0x11,
  returnCall: 0x12,
  returnCallIndirect: 0x13,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  globalGet: 0x23,
  globalSet: 0x24,
  i32Store8: 0x3a,
  memorySize: 0x3f,
  memoryGrow: 0x40,
  i32Const: 0x41,
  i64Const: 0x42,
  f32Const: 0x43,
  f64Const: 0x44,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtU: 0x49,
  i32GtU: 0x4b,
  i32LeU: 0x4d,
  i64LtS: 0x53,
  i64GtS: 0x55,
  i64Add: 0x7c,
  i64Sub: 0x7d,
  i64Mul: 0x7e,
  i32WrapI64: 0xa7,
  i64ExtendI32U: 0xad,
  refNull: 0xd0,
  refFunc: 0xd2,
  prefixFC: 0xfc,
  prefixFD: 0xfd
} as const;

/** 0xFC-prefixed sub-opcodes that matter to the instrumentation. */
export const OpFC = {
  memoryInit: 8,
  dataDrop: 9,
  memoryCopy: 10,
  memoryFill: 11,
  tableInit: 12,
  elemDrop: 13,
  tableCopy: 14,
  tableGrow: 15,
  tableSize: 16,
  tableFill: 17
} as const;

export const BlockType = { empty: 0x40 } as const;
export const ValType = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b, funcref: 0x70, externref: 0x6f } as const;

/** How the immediates after a one-byte opcode are encoded. */
export const Imm = {
  invalid: 0,
  none: 1,
  /** one LEB128 of any kind: block types (0x40, a value type or an s33 type index), indices, heap types, i32/i64 constants */
  leb: 2,
  /** a function index (call, return_call, ref.func): rewritten when function indices shift */
  funcIndex: 3,
  /** two LEB128s: call_indirect (type, table) */
  leb2: 4,
  /** vec(label) label */
  brTable: 5,
  /** align (bit 6 set: a memory index follows), offset */
  memarg: 6,
  fixed4: 7,
  fixed8: 8,
  /** vec(valtype), typed select */
  selectT: 9,
  /** 0xFC prefix: a u32 sub-opcode, then FC_LEB_COUNT[sub] LEB128s */
  prefixFC: 10,
  /** 0xFD prefix (SIMD): a u32 sub-opcode, then the immediates FD_IMMEDIATES[sub] names */
  prefixFD: 11
} as const;

export const IMMEDIATES: Uint8Array = (() => {
  const t = new Uint8Array(256); // Imm.invalid by default
  const set = (from: number, to: number, kind: number) => {
    for (let op = from; op <= to; op++) t[op] = kind;
  };
  set(0x00, 0x01, Imm.none); // unreachable, nop
  set(0x02, 0x04, Imm.leb); // block, loop, if: block type
  t[0x05] = Imm.none; // else
  t[0x0b] = Imm.none; // end
  set(0x0c, 0x0d, Imm.leb); // br, br_if
  t[0x0e] = Imm.brTable;
  t[0x0f] = Imm.none; // return
  t[0x10] = Imm.funcIndex; // call
  t[0x11] = Imm.leb2; // call_indirect
  t[0x12] = Imm.funcIndex; // return_call
  t[0x13] = Imm.leb2; // return_call_indirect
  set(0x1a, 0x1b, Imm.none); // drop, select
  t[0x1c] = Imm.selectT;
  set(0x20, 0x26, Imm.leb); // local.*, global.*, table.get/set
  set(0x28, 0x3e, Imm.memarg); // loads and stores
  set(0x3f, 0x40, Imm.leb); // memory.size, memory.grow: memory index
  set(0x41, 0x42, Imm.leb); // i32.const, i64.const
  t[0x43] = Imm.fixed4;
  t[0x44] = Imm.fixed8;
  set(0x45, 0xc4, Imm.none); // numeric, conversions, sign extension
  t[0xd0] = Imm.leb; // ref.null heap type
  t[0xd1] = Imm.none; // ref.is_null
  t[0xd2] = Imm.funcIndex; // ref.func
  t[0xfc] = Imm.prefixFC;
  t[0xfd] = Imm.prefixFD;
  return t;
})();

/** Number of LEB128 immediates after each 0xFC sub-opcode 0..17; sub-opcodes beyond are unsupported. */
export const FC_LEB_COUNT: readonly number[] = [
  0, 0, 0, 0, 0, 0, 0, 0, // i32/i64.trunc_sat_f32/f64_s/u
  2, // memory.init data mem
  1, // data.drop data
  2, // memory.copy mem mem
  1, // memory.fill mem
  2, // table.init elem table
  1, // elem.drop elem
  2, // table.copy table table
  1, // table.grow table
  1, // table.size table
  1 // table.fill table
];

/**
 * The fixed-width SIMD operators, 0xFD-prefixed, by sub-opcode (the spec's binary encoding,
 * https://webassembly.github.io/spec/core/binary/instructions.html#vector-instructions), so that a
 * body can be walked and charged as the IC charges it (costs.ts). Gaps are unassigned; relaxed
 * SIMD (0x100 and up) is not accepted.
 */
export const SIMD_OPS: readonly (string | undefined)[] = (() => {
  const t: (string | undefined)[] = [];
  const run = (from: number, names: string) => names.split(' ').forEach((n, i) => (t[from + i] = n === '-' ? undefined : n));
  run(0x00, 'v128.load v128.load8x8_s v128.load8x8_u v128.load16x4_s v128.load16x4_u v128.load32x2_s v128.load32x2_u');
  run(0x07, 'v128.load8_splat v128.load16_splat v128.load32_splat v128.load64_splat v128.store v128.const i8x16.shuffle');
  run(0x0e, 'i8x16.swizzle i8x16.splat i16x8.splat i32x4.splat i64x2.splat f32x4.splat f64x2.splat');
  run(0x15, 'i8x16.extract_lane_s i8x16.extract_lane_u i8x16.replace_lane i16x8.extract_lane_s i16x8.extract_lane_u');
  run(0x1a, 'i16x8.replace_lane i32x4.extract_lane i32x4.replace_lane i64x2.extract_lane i64x2.replace_lane');
  run(0x1f, 'f32x4.extract_lane f32x4.replace_lane f64x2.extract_lane f64x2.replace_lane');
  run(0x23, 'i8x16.eq i8x16.ne i8x16.lt_s i8x16.lt_u i8x16.gt_s i8x16.gt_u i8x16.le_s i8x16.le_u i8x16.ge_s i8x16.ge_u');
  run(0x2d, 'i16x8.eq i16x8.ne i16x8.lt_s i16x8.lt_u i16x8.gt_s i16x8.gt_u i16x8.le_s i16x8.le_u i16x8.ge_s i16x8.ge_u');
  run(0x37, 'i32x4.eq i32x4.ne i32x4.lt_s i32x4.lt_u i32x4.gt_s i32x4.gt_u i32x4.le_s i32x4.le_u i32x4.ge_s i32x4.ge_u');
  run(0x41, 'f32x4.eq f32x4.ne f32x4.lt f32x4.gt f32x4.le f32x4.ge f64x2.eq f64x2.ne f64x2.lt f64x2.gt f64x2.le f64x2.ge');
  run(0x4d, 'v128.not v128.and v128.andnot v128.or v128.xor v128.bitselect v128.any_true');
  run(0x54, 'v128.load8_lane v128.load16_lane v128.load32_lane v128.load64_lane');
  run(0x58, 'v128.store8_lane v128.store16_lane v128.store32_lane v128.store64_lane v128.load32_zero v128.load64_zero');
  run(0x5e, 'f32x4.demote_f64x2_zero f64x2.promote_low_f32x4');
  run(0x60, 'i8x16.abs i8x16.neg i8x16.popcnt i8x16.all_true i8x16.bitmask i8x16.narrow_i16x8_s i8x16.narrow_i16x8_u');
  run(0x67, 'f32x4.ceil f32x4.floor f32x4.trunc f32x4.nearest');
  run(0x6b, 'i8x16.shl i8x16.shr_s i8x16.shr_u i8x16.add i8x16.add_sat_s i8x16.add_sat_u i8x16.sub i8x16.sub_sat_s i8x16.sub_sat_u');
  run(0x74, 'f64x2.ceil f64x2.floor i8x16.min_s i8x16.min_u i8x16.max_s i8x16.max_u f64x2.trunc i8x16.avgr_u');
  run(0x7c, 'i16x8.extadd_pairwise_i8x16_s i16x8.extadd_pairwise_i8x16_u i32x4.extadd_pairwise_i16x8_s i32x4.extadd_pairwise_i16x8_u');
  run(0x80, 'i16x8.abs i16x8.neg i16x8.q15mulr_sat_s i16x8.all_true i16x8.bitmask i16x8.narrow_i32x4_s i16x8.narrow_i32x4_u');
  run(0x87, 'i16x8.extend_low_i8x16_s i16x8.extend_high_i8x16_s i16x8.extend_low_i8x16_u i16x8.extend_high_i8x16_u');
  run(0x8b, 'i16x8.shl i16x8.shr_s i16x8.shr_u i16x8.add i16x8.add_sat_s i16x8.add_sat_u i16x8.sub i16x8.sub_sat_s i16x8.sub_sat_u');
  run(0x94, 'f64x2.nearest i16x8.mul i16x8.min_s i16x8.min_u i16x8.max_s i16x8.max_u - i16x8.avgr_u');
  run(0x9c, 'i16x8.extmul_low_i8x16_s i16x8.extmul_high_i8x16_s i16x8.extmul_low_i8x16_u i16x8.extmul_high_i8x16_u');
  run(0xa0, 'i32x4.abs i32x4.neg - i32x4.all_true i32x4.bitmask - -');
  run(0xa7, 'i32x4.extend_low_i16x8_s i32x4.extend_high_i16x8_s i32x4.extend_low_i16x8_u i32x4.extend_high_i16x8_u');
  run(0xab, 'i32x4.shl i32x4.shr_s i32x4.shr_u i32x4.add - - i32x4.sub - - - i32x4.mul');
  run(0xb6, 'i32x4.min_s i32x4.min_u i32x4.max_s i32x4.max_u i32x4.dot_i16x8_s');
  run(0xbc, 'i32x4.extmul_low_i16x8_s i32x4.extmul_high_i16x8_s i32x4.extmul_low_i16x8_u i32x4.extmul_high_i16x8_u');
  run(0xc0, 'i64x2.abs i64x2.neg - i64x2.all_true i64x2.bitmask - -');
  run(0xc7, 'i64x2.extend_low_i32x4_s i64x2.extend_high_i32x4_s i64x2.extend_low_i32x4_u i64x2.extend_high_i32x4_u');
  run(0xcb, 'i64x2.shl i64x2.shr_s i64x2.shr_u i64x2.add - - i64x2.sub - - - i64x2.mul');
  run(0xd6, 'i64x2.eq i64x2.ne i64x2.lt_s i64x2.gt_s i64x2.le_s i64x2.ge_s');
  run(0xdc, 'i64x2.extmul_low_i32x4_s i64x2.extmul_high_i32x4_s i64x2.extmul_low_i32x4_u i64x2.extmul_high_i32x4_u');
  run(0xe0, 'f32x4.abs f32x4.neg - f32x4.sqrt f32x4.add f32x4.sub f32x4.mul f32x4.div f32x4.min f32x4.max f32x4.pmin f32x4.pmax');
  run(0xec, 'f64x2.abs f64x2.neg - f64x2.sqrt f64x2.add f64x2.sub f64x2.mul f64x2.div f64x2.min f64x2.max f64x2.pmin f64x2.pmax');
  run(0xf8, 'i32x4.trunc_sat_f32x4_s i32x4.trunc_sat_f32x4_u f32x4.convert_i32x4_s f32x4.convert_i32x4_u');
  run(0xfc, 'i32x4.trunc_sat_f64x2_s_zero i32x4.trunc_sat_f64x2_u_zero f64x2.convert_low_i32x4_s f64x2.convert_low_i32x4_u');
  return t;
})();

/** How the immediates after a 0xFD sub-opcode are encoded. */
export const SimdImm = {
  invalid: 0,
  none: 1,
  memarg: 2,
  /** 16 bytes: v128.const's value, i8x16.shuffle's lane indices */
  bytes16: 3,
  /** one lane index byte */
  lane: 4,
  /** memarg, then a lane index byte: load_lane and store_lane */
  memargLane: 5
} as const;

/** The immediates of each 0xFD sub-opcode, invalid for unassigned ones. */
export const FD_IMMEDIATES: Uint8Array = (() => {
  const t = new Uint8Array(SIMD_OPS.length);
  SIMD_OPS.forEach((name, sub) => {
    if (name === undefined) return;
    if (sub === 0x0c || sub === 0x0d) t[sub] = SimdImm.bytes16;
    else if (sub >= 0x15 && sub <= 0x22) t[sub] = SimdImm.lane;
    else if (sub >= 0x54 && sub <= 0x5b) t[sub] = SimdImm.memargLane;
    else if (sub <= 0x0b || sub === 0x5c || sub === 0x5d) t[sub] = SimdImm.memarg;
    else t[sub] = SimdImm.none;
  });
  return t;
})();

/**
 * The 0xFD sub-opcodes that write linear memory: v128.store and the lane stores. Each takes the
 * address, then the vector; v128.store writes 16 bytes, a lane store its lane's width (1, 2, 4, 8).
 */
export const SIMD_MEMORY_WRITES: ReadonlyMap<number, number> = new Map([
  [0x0b, 16], // v128.store
  [0x58, 1], // v128.store8_lane
  [0x59, 2], // v128.store16_lane
  [0x5a, 4], // v128.store32_lane
  [0x5b, 8] // v128.store64_lane
]);

/** Names of opcodes that are rejected, for error messages. */
export function describeOpcode(op: number): string {
  if (op === 0xfe) return 'threads/atomics (0xFE prefix)';
  if (op >= 0x06 && op <= 0x0a) return 'exception handling';
  if (op === 0x18 || op === 0x19 || op === 0x1f) return 'exception handling';
  return `unknown opcode 0x${op.toString(16).padStart(2, '0')}`;
}
