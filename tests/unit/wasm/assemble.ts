// A deliberately small, independent Wasm assembler for tests: bodies are raw opcode bytes, so
// each test shows exactly which instructions it meters. It shares no code with src/replica/wasm.

export const I32 = 0x7f;
export const I64 = 0x7e;
export const FUNCREF = 0x70;

export function uleb(x: number): number[] {
  const out: number[] = [];
  do {
    let byte = x & 0x7f;
    x = Math.floor(x / 128);
    if (x !== 0) byte |= 0x80;
    out.push(byte);
  } while (x !== 0);
  return out;
}

export function sleb(x: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = x & 0x7f;
    x = Math.floor(x / 128);
    if ((x === 0 && !(byte & 0x40)) || (x === -1 && byte & 0x40)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const str = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'utf8')];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, content: number[]) => (content.length ? [id, ...uleb(content.length), ...content] : []);

export interface FuncSpec {
  params?: number[];
  results?: number[];
  locals?: number[]; // one value type per local
  body: number[]; // instructions, without the final `end`
  export?: string;
}

export interface ModuleSpec {
  /** imported functions, module "env"; they come first in the function index space */
  imports?: Array<{ name: string; params?: number[]; results?: number[] }>;
  /** extra function types referenced by block types or call_indirect, placed after the function types */
  extraTypes?: Array<{ params: number[]; results: number[] }>;
  funcs: FuncSpec[];
  memoryPages?: number;
  /** a funcref table holding these function indices from slot 0 */
  table?: number[];
  /** mutable i32 globals with these initial values */
  globals?: number[];
  passiveData?: number[][];
  /** active data segments of memory 0, before the passive ones */
  activeData?: Array<{ offset: number; bytes: number[] }>;
  start?: number;
}

/** Type indices: imports first, then funcs, then extraTypes, one type per entry (duplicates are fine). */
export function typeIndexOfExtra(spec: ModuleSpec, i: number): number {
  return (spec.imports?.length ?? 0) + spec.funcs.length + i;
}

export function assemble(spec: ModuleSpec): Uint8Array<ArrayBuffer> {
  const imports = spec.imports ?? [];
  const functype = (p: number[] = [], r: number[] = []) => [0x60, ...vec(p.map((t) => [t])), ...vec(r.map((t) => [t]))];
  const types = [
    ...imports.map((f) => functype(f.params, f.results)),
    ...spec.funcs.map((f) => functype(f.params, f.results)),
    ...(spec.extraTypes ?? []).map((t) => functype(t.params, t.results))
  ];
  const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  bytes.push(...section(1, vec(types)));
  if (imports.length) bytes.push(...section(2, vec(imports.map((f, i) => [...str('env'), ...str(f.name), 0x00, ...uleb(i)]))));
  bytes.push(...section(3, vec(spec.funcs.map((_, i) => uleb(imports.length + i)))));
  if (spec.table) bytes.push(...section(4, vec([[FUNCREF, 0x00, ...uleb(spec.table.length)]])));
  if (spec.memoryPages !== undefined) bytes.push(...section(5, vec([[0x00, ...uleb(spec.memoryPages)]])));
  if (spec.globals) bytes.push(...section(6, vec(spec.globals.map((v) => [I32, 0x01, 0x41, ...sleb(v), 0x0b]))));
  const exports = spec.funcs.flatMap((f, i) => (f.export ? [[...str(f.export), 0x00, ...uleb(imports.length + i)]] : []));
  if (spec.memoryPages !== undefined) exports.push([...str('memory'), 0x02, 0x00]);
  bytes.push(...section(7, vec(exports)));
  if (spec.start !== undefined) bytes.push(...section(8, uleb(spec.start)));
  if (spec.table) bytes.push(...section(9, vec([[0x00, 0x41, 0x00, 0x0b, ...vec(spec.table.map((f) => uleb(f)))]])));
  const active = (spec.activeData ?? []).map((d) => [0x00, 0x41, ...sleb(d.offset), 0x0b, ...vec(d.bytes.map((b) => [b]))]);
  const passive = (spec.passiveData ?? []).map((d) => [0x01, ...vec(d.map((b) => [b]))]);
  if (spec.passiveData) bytes.push(...section(12, uleb(active.length + passive.length)));
  const bodies = spec.funcs.map((f) => {
    const locals = vec((f.locals ?? []).map((t) => [0x01, t]));
    const body = [...locals, ...f.body, 0x0b];
    return [...uleb(body.length), ...body];
  });
  bytes.push(...section(10, vec(bodies)));
  if (active.length + passive.length > 0) bytes.push(...section(11, vec([...active, ...passive])));
  return Uint8Array.from(bytes);
}

// Opcodes used by the tests, named as in the text format.
export const op = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  br_table: 0x0e,
  return: 0x0f,
  call: 0x10,
  call_indirect: 0x11,
  drop: 0x1a,
  select: 0x1b,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  global_get: 0x23,
  global_set: 0x24,
  i32_load: 0x28,
  i32_store: 0x36,
  i32_const: 0x41,
  i64_const: 0x42,
  i32_eqz: 0x45,
  i32_lt_s: 0x48,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i32_mul: 0x6c,
  i32_div_u: 0x6e,
  i32_rem_u: 0x70,
  i32_xor: 0x73,
  i32_rotl: 0x77,
  i64_extend_i32_u: 0xad,
  i32_extend8_s: 0xc0,
  ref_func: 0xd2,
  fc: 0xfc
} as const;

export const fc = { i32_trunc_sat_f64_s: 2, memory_init: 8, data_drop: 9, memory_copy: 10, memory_fill: 11 } as const;
export const EMPTY = 0x40;
