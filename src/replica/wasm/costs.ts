// Static instruction costs, as the Internet Computer charges them.
//
// Source: `instruction_to_cost` in `rs/embedders/src/wasm_utils/instrumentation.rs` of
// https://github.com/dfinity/ic (read at commit 002d5530aeb1ef1ed362d7f9c3c5529b8ec1cafe), Wasm32
// column. Every operator not listed there costs 1. Bulk memory and table operators additionally
// cost their size operand at run time; that dynamic part is not in these tables (see
// `code.ts`). SIMD costs are that function's "Wasm SIMD Operators" (FD_COST below).

import { SIMD_OPS } from './opcodes.js';

/** Cost of each one-byte opcode. */
export const OPCODE_COST: Uint16Array = (() => {
  const c = new Uint16Array(256).fill(1);
  const set = (ops: readonly number[], cost: number) => {
    for (const op of ops) c[op] = cost;
  };
  const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  // block, loop, else, end only mark structure.
  set([0x02, 0x03, 0x05, 0x0b], 0);
  // if, br, br_if, br_table
  set([0x04, 0x0c, 0x0d, 0x0e], 2);
  set([0x10], 5); // call ("adjusted to 5 and 10 after benchmarking with real canisters")
  set([0x11], 10); // call_indirect
  set([0x12], 3); // return_call
  set([0x13], 60); // return_call_indirect
  set([0x23, 0x24], 2); // global.get, global.set
  set([0x25, 0x26], 5); // table.get, table.set
  set([0x3f], 20); // memory.size
  set([0x40], 300); // memory.grow
  // integer division and remainder
  set([0x6d, 0x6e, 0x6f, 0x70, 0x7f, 0x80, 0x81, 0x82], 10);
  // float comparisons: f32.eq..f32.ge, f64.eq..f64.ge
  set(range(0x5b, 0x66), 3);
  // f32: ceil floor trunc nearest (2) sqrt (5) add sub mul (2) div (3) min max (18) copysign (2)
  set([0x8d, 0x8e, 0x8f, 0x90], 2);
  set([0x91], 5);
  set([0x92, 0x93, 0x94], 2);
  set([0x95], 3);
  set([0x96, 0x97], 18);
  set([0x98], 2);
  // f64: ceil floor trunc nearest (2) sqrt (8) add sub mul (2) div (5) min max (18) copysign (3)
  set([0x9b, 0x9c, 0x9d, 0x9e], 2);
  set([0x9f], 8);
  set([0xa0, 0xa1, 0xa2], 2);
  set([0xa3], 5);
  set([0xa4, 0xa5], 18);
  set([0xa6], 3);
  // i32.trunc_f32/f64_s/u and i64.trunc_f32/f64_s/u
  set([0xa8, 0xa9, 0xaa, 0xab, 0xae, 0xaf, 0xb0, 0xb1], 20);
  // float from signed integer (3), from unsigned integer (16)
  set([0xb2, 0xb4, 0xb7, 0xb9], 3);
  set([0xb3, 0xb5, 0xb8, 0xba], 16);
  set([0xd1], 5); // ref.is_null
  set([0xd2], 130); // ref.func
  return c;
})();

/** Cost of each 0xFC-prefixed sub-opcode (static part). */
export const FC_COST: readonly number[] = [
  20, 20, 20, 20, 20, 20, 20, 20, // trunc_sat
  100, // memory.init
  300, // data.drop
  100, // memory.copy
  100, // memory.fill
  100, // table.init
  300, // elem.drop
  100, // table.copy
  300, // table.grow
  100, // table.size
  100 // table.fill
];

/** 0xFC sub-opcodes whose last operand is a size the IC also charges: memory.init/copy/fill, table.init/copy/fill. */
export const FC_CHARGES_SIZE: readonly boolean[] = FC_COST.map((_, sub) => [8, 10, 11, 12, 14, 17].includes(sub));

/**
 * Cost of each 0xFD-prefixed (SIMD) sub-opcode, Wasm32 (loads and stores 1). Those not listed
 * cost 1, as in the IC's table, whose default is 1 too.
 */
export const FD_COST: Uint16Array = (() => {
  const costs: Record<string, number> = {
    'i8x16.shuffle': 3,
    'i8x16.lt_u': 2, 'i8x16.gt_u': 2, 'i16x8.lt_u': 2, 'i16x8.gt_u': 2, 'i32x4.lt_u': 2, 'i32x4.gt_u': 2,
    'i8x16.popcnt': 3, 'i8x16.shl': 3, 'i8x16.shr_s': 3, 'i8x16.shr_u': 2,
    'i16x8.extadd_pairwise_i8x16_u': 2, 'i16x8.extmul_high_i8x16_s': 2, 'i16x8.extmul_high_i8x16_u': 2,
    'i32x4.extadd_pairwise_i16x8_u': 3,
    'i16x8.shl': 2, 'i16x8.shr_s': 2, 'i16x8.shr_u': 2,
    'i32x4.shl': 2, 'i32x4.shr_s': 2, 'i32x4.shr_u': 2, 'i32x4.mul': 2,
    'i32x4.extmul_low_i16x8_s': 2, 'i32x4.extmul_high_i16x8_s': 2, 'i32x4.extmul_low_i16x8_u': 2, 'i32x4.extmul_high_i16x8_u': 2,
    'i64x2.shl': 2, 'i64x2.shr_s': 3, 'i64x2.shr_u': 2, 'i64x2.mul': 4,
    'f32x4.ceil': 2, 'f32x4.floor': 2, 'f32x4.trunc': 2, 'f32x4.nearest': 2, 'f32x4.abs': 2, 'f32x4.neg': 2,
    'f32x4.sqrt': 5, 'f32x4.add': 2, 'f32x4.sub': 2, 'f32x4.mul': 2, 'f32x4.div': 10, 'f32x4.min': 4, 'f32x4.max': 4,
    'f64x2.ceil': 2, 'f64x2.floor': 2, 'f64x2.trunc': 2, 'f64x2.nearest': 2, 'f64x2.abs': 2, 'f64x2.neg': 2,
    'f64x2.sqrt': 14, 'f64x2.add': 2, 'f64x2.sub': 2, 'f64x2.mul': 2, 'f64x2.div': 12, 'f64x2.min': 4, 'f64x2.max': 5,
    'i32x4.trunc_sat_f32x4_s': 2, 'i32x4.trunc_sat_f32x4_u': 4, 'f32x4.convert_i32x4_u': 4,
    'i32x4.trunc_sat_f64x2_s_zero': 2, 'i32x4.trunc_sat_f64x2_u_zero': 3
  };
  const c = new Uint16Array(SIMD_OPS.length).fill(1);
  SIMD_OPS.forEach((name, sub) => {
    if (name !== undefined && costs[name] !== undefined) c[sub] = costs[name];
  });
  for (const name of Object.keys(costs)) if (!SIMD_OPS.includes(name)) throw new Error(`FD_COST names an unknown SIMD operator ${name}`);
  return c;
})();

/** Every function entry costs at least this much, so that even an empty function consumes something. */
export const FUNCTION_ENTRY_COST = 1;
