// Operator encodings: for each opcode, the shape of its immediates, so that a function body can
// be walked without building an AST. Covers MVP, sign-extension, non-trapping float-to-int,
// bulk memory, reference types, multi-value block types and tail calls. SIMD (0xFD), threads
// (0xFE), exception handling and GC are rejected: Azle's target features do not include them.
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
  i32Const: 0x41,
  i64Const: 0x42,
  f32Const: 0x43,
  f64Const: 0x44,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i64LtS: 0x53,
  i64GtS: 0x55,
  i64Add: 0x7c,
  i64Sub: 0x7d,
  i64Mul: 0x7e,
  i32WrapI64: 0xa7,
  i64ExtendI32U: 0xad,
  refNull: 0xd0,
  refFunc: 0xd2,
  prefixFC: 0xfc
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
  prefixFC: 10
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

/** Names of opcodes that are rejected, for error messages. */
export function describeOpcode(op: number): string {
  if (op === 0xfd) return 'SIMD (0xFD prefix)';
  if (op === 0xfe) return 'threads/atomics (0xFE prefix)';
  if (op >= 0x06 && op <= 0x0a) return 'exception handling';
  if (op === 0x18 || op === 0x19 || op === 0x1f) return 'exception handling';
  return `unknown opcode 0x${op.toString(16).padStart(2, '0')}`;
}
