// Module-level rewrite: exports what the host needs (function table, mutable globals) and, with
// metering, adds the IC-style instruction counter, the out-of-instructions import and the
// size-charging helper. See `code.ts` for what happens inside function bodies.
//
// The import is appended after the existing imports, so imported function indices stay put and
// every defined function moves up by one. With metering each defined function becomes an
// internal function of type (params, i64) -> (results, i64) that takes and returns the counter
// (code.ts), and the functions reached other than by a direct call (exports, element segments,
// `ref.func` in bodies and globals, start) get a reference wrapper with the original type that
// reads and writes the counter global. Direct calls are renumbered to the internal function, all
// references to the wrapper; the `name` section names the internal functions. The counter
// global, the helper function, the wrappers and the new types are appended at the end of their
// index spaces, so nothing else moves.

import {
  ByteReader,
  ByteWriter,
  ExternalKind,
  InvalidWasmError,
  type Section,
  SectionId,
  findOrInsertSection,
  readSections,
  sectionReader,
  encodeS64,
  writeModule
} from './binary.js';
import { type BodySignature, chargeSizeBody, meterCodeSection, referenceWrapperBody } from './code.js';
import { BlockType, Op, ValType } from './opcodes.js';
import { RESERVED_BYTES, bulkOperandsBody, growBody, rewriteDataSection, rewriteMemorySection } from './write_tracking.js';

export const TABLE_EXPORT = '__replica_table';
export const GLOBAL_EXPORT_PREFIX = '__replica_global_';
export const COUNTER_EXPORT = '__replica_instructions';
export const METER_IMPORT_MODULE = '__replica';
export const OUT_OF_INSTRUCTIONS = 'out_of_instructions';
/**
 * The counter's value at instantiation: the IC's install/upgrade limit, so that a `start`
 * function (which runs inside `new WebAssembly.Instance`, before the host can set a budget) is
 * metered too; it used `COUNTER_INITIAL_VALUE - counter` instructions. Azle modules have no start.
 */
export const COUNTER_INITIAL_VALUE = 300_000_000_000n;

export interface InstrumentOptions {
  metering: boolean;
  /**
   * A profiling aid, off by default (prepare.ts turns it on only when asked): with metering, each
   * defined function gets an exported i64 global, `PROFILE_EXPORT_PREFIX<i>` for the i-th, that
   * sums what it was charged (System API charges excepted: the host adds those).
   */
  profile?: boolean;
}

export const PROFILE_EXPORT_PREFIX = '__replica_profile_';

export interface InstrumentedWasm {
  bytes: Uint8Array<ArrayBuffer>;
  /** export names of the module's own mutable globals, `__replica_global_<i>` */
  globalExports: string[];
  /** whether table 0 exists and is exported as TABLE_EXPORT */
  tableExported: boolean;
  metered: boolean;
  /**
   * Where the canister's heap starts in the module's memory: RESERVED_BYTES when metered (the
   * write-tracking map is below it, write_tracking.ts), 0 otherwise.
   */
  heapBase: number;
}

interface ModuleFacts {
  importedFuncs: number;
  importedMemories: number;
  importedTables: number;
  importedGlobals: number;
  definedFuncs: number;
  definedTables: number;
  /** mutability of each defined global */
  definedGlobalMutable: boolean[];
}

export function instrumentWasm(input: Uint8Array, options: InstrumentOptions): InstrumentedWasm {
  const sections = readSections(input);
  const get = (id: number) => sections.find((s) => s.id === id);
  const facts = readFacts(input, get);

  const globalExports: string[] = [];
  facts.definedGlobalMutable.forEach((mutable, i) => {
    if (mutable) globalExports.push(`${GLOBAL_EXPORT_PREFIX}${i}`);
  });
  const tableExported = facts.importedTables + facts.definedTables > 0;
  const added: Array<{ name: string; kind: number; index: number }> = [];
  if (tableExported) added.push({ name: TABLE_EXPORT, kind: ExternalKind.table, index: 0 });
  facts.definedGlobalMutable.forEach((mutable, i) => {
    if (mutable) added.push({ name: `${GLOBAL_EXPORT_PREFIX}${i}`, kind: ExternalKind.global, index: facts.importedGlobals + i });
  });

  if (!options.metering) {
    const exportSection = findOrInsertSection(sections, SectionId.export);
    exportSection.payload = rewriteExports(input, exportSection, added, (f) => f);
    return { bytes: writeModule(input, sections), globalExports, tableExported, metered: false, heapBase: 0 };
  }

  // Read before the type and function sections get entries appended.
  const types = readFuncTypes(input, get);
  const definedTypes = definedFuncTypes(input, get, types.length);
  const firstDefined = facts.importedFuncs;
  const remap = (f: number) => (f >= firstDefined ? f + 1 : f);
  const outOfInstructionsFunc = facts.importedFuncs;
  const chargeSizeFunc = facts.importedFuncs + 1 + facts.definedFuncs;
  const writes = { growFunc: chargeSizeFunc + 1, fillOperandsFunc: chargeSizeFunc + 2, copyOperandsFunc: chargeSizeFunc + 3 };
  const firstWrapper = chargeSizeFunc + 4;
  if (facts.importedMemories > 0) throw new InvalidWasmError('an imported memory is not supported (write tracking needs to own the memory)');
  const counterGlobal = facts.importedGlobals + facts.definedGlobalMutable.length;
  added.push({ name: COUNTER_EXPORT, kind: ExternalKind.global, index: counterGlobal });
  const profile = options.profile ? { firstGlobal: counterGlobal + 1, lastSizeGlobal: counterGlobal + 1 + facts.definedFuncs } : undefined;
  for (let i = 0; profile && i < facts.definedFuncs; i++) {
    added.push({ name: `${PROFILE_EXPORT_PREFIX}${i}`, kind: ExternalKind.global, index: profile.firstGlobal + i });
  }

  // Reference wrappers, numbered in the order their functions are first referenced.
  const wrapperOf = new Map<number, number>();
  const wrapped: number[] = [];
  const refFunc = (f: number): number => {
    if (f < firstDefined) return f;
    let w = wrapperOf.get(f);
    if (w === undefined) {
      w = firstWrapper + wrapped.length;
      wrapperOf.set(f, w);
      wrapped.push(f);
    }
    return w;
  };

  // Types: () -> () for the import, (i64) -> (i64) for the helper, (params, i64) -> (results, i64)
  // for each type of a defined function, and [] -> results for multi-value results (block types).
  const usedTypes = [...new Set(definedTypes)];
  const i32x3 = [ValType.i32, ValType.i32, ValType.i32];
  const wanted: FuncTypeSpec[] = [
    { params: [], results: [] },
    { params: [ValType.i64], results: [ValType.i64] },
    { params: [ValType.i32], results: [ValType.i32] },
    { params: i32x3, results: i32x3 },
    ...usedTypes.map((t) => ({ params: [...types[t].params, ValType.i64], results: [...types[t].results, ValType.i64] }))
  ];
  const multiResult = usedTypes.filter((t) => types[t].results.length > 1);
  wanted.push(...multiResult.map((t) => ({ params: [], results: types[t].results })));
  const typeSection = findOrInsertSection(sections, SectionId.type);
  const found = withFuncTypes(input, typeSection, wanted);
  typeSection.payload = found.payload;
  const [voidType, chargeSizeType, growType, bulkOperandsType] = found.indices;
  const internalType = new Map(usedTypes.map((t, i) => [t, found.indices[4 + i]]));
  const blockTypeOf = new Map<number, Uint8Array>();
  for (const t of usedTypes) {
    const results = types[t].results;
    if (results.length === 0) blockTypeOf.set(t, Uint8Array.of(BlockType.empty));
    else if (results.length === 1) blockTypeOf.set(t, Uint8Array.of(results[0]));
  }
  multiResult.forEach((t, i) => blockTypeOf.set(t, encodeS64(BigInt(found.indices[4 + usedTypes.length + i]))));
  const signatures: BodySignature[] = Array.from(definedTypes, (t) => ({ params: types[t].params.length, resultBlockType: blockTypeOf.get(t)! }));

  const importSection = findOrInsertSection(sections, SectionId.import);
  importSection.payload = appendToVector(input, importSection, (w) => {
    w.name(METER_IMPORT_MODULE);
    w.name(OUT_OF_INSTRUCTIONS);
    w.u8(ExternalKind.func);
    w.u32(voidType);
  });

  const globalSection = findOrInsertSection(sections, SectionId.global);
  globalSection.payload = rewriteGlobals(input, globalSection, refFunc, profile ? facts.definedFuncs + 1 : 0);

  const exportSection = findOrInsertSection(sections, SectionId.export);
  exportSection.payload = rewriteExports(input, exportSection, added, refFunc);

  const start = get(SectionId.start);
  if (start) {
    const w = new ByteWriter(5);
    w.u32(refFunc(sectionReader(input, start).u32()));
    start.payload = w.finish();
  }

  const element = get(SectionId.element);
  if (element) element.payload = rewriteElements(input, element, refFunc);

  // A module without a memory has nothing to track; its helpers are never called.
  const memory = get(SectionId.memory);
  const hasMemory = memory !== undefined && sectionReader(input, memory).u32() > 0;
  if (memory) memory.payload = rewriteMemorySection(input, memory);
  const data = get(SectionId.data);
  if (data) data.payload = rewriteDataSection(input, data);

  const code = findOrInsertSection(sections, SectionId.code);
  const codeBytes = code.payload ?? input;
  code.payload = meterCodeSection(
    codeBytes,
    code.payload ? 0 : code.start,
    code.payload ? code.payload.length : code.end,
    { counterGlobal, outOfInstructionsFunc, chargeSizeFunc, firstDefinedFunc: firstDefined, refFunc, profile, writes },
    signatures,
    () => [
      chargeSizeBody(counterGlobal, outOfInstructionsFunc, profile?.lastSizeGlobal),
      ...(hasMemory ? [growBody(), bulkOperandsBody(false), bulkOperandsBody(true)] : [UNREACHABLE_BODY, UNREACHABLE_BODY, UNREACHABLE_BODY]),
      ...wrapped.map((f) => referenceWrapperBody(types[definedTypes[f - firstDefined]].params.length, f + 1, counterGlobal))
    ]
  );

  // Internal functions, the helper, then the wrappers (known once the code has been read).
  const functionSection = findOrInsertSection(sections, SectionId.function);
  const fw = new ByteWriter(definedTypes.length * 2 + wrapped.length * 2 + 16);
  fw.u32(definedTypes.length + 4 + wrapped.length);
  for (const t of definedTypes) fw.u32(internalType.get(t)!);
  fw.u32(chargeSizeType);
  fw.u32(growType);
  fw.u32(bulkOperandsType);
  fw.u32(bulkOperandsType);
  for (const f of wrapped) fw.u32(definedTypes[f - firstDefined]);
  functionSection.payload = fw.finish();

  for (const s of sections) {
    if (s.id === SectionId.custom && customSectionName(input, s) === 'name') s.payload = rewriteNameSection(input, s, remap, (f) => signatures[f - firstDefined]?.params);
  }

  return { bytes: writeModule(input, sections), globalExports, tableExported, metered: true, heapBase: hasMemory ? RESERVED_BYTES : 0 };
}

const UNREACHABLE_BODY = Uint8Array.of(0, Op.unreachable, Op.end);

function readFacts(input: Uint8Array, get: (id: number) => Section | undefined): ModuleFacts {
  const facts: ModuleFacts = { importedFuncs: 0, importedMemories: 0, importedTables: 0, importedGlobals: 0, definedFuncs: 0, definedTables: 0, definedGlobalMutable: [] };
  const imports = get(SectionId.import);
  if (imports) {
    const r = sectionReader(input, imports);
    const n = r.u32();
    for (let i = 0; i < n; i++) {
      r.name();
      r.name();
      const kind = r.u8();
      switch (kind) {
        case ExternalKind.func:
          facts.importedFuncs++;
          r.u32();
          break;
        case ExternalKind.table:
          facts.importedTables++;
          r.skipLeb(); // reference type
          skipLimits(r);
          break;
        case ExternalKind.memory:
          facts.importedMemories++;
          skipLimits(r);
          break;
        case ExternalKind.global:
          facts.importedGlobals++;
          r.skipLeb();
          r.u8();
          break;
        default:
          r.fail(`unsupported import kind ${kind}`);
      }
    }
  }
  const functions = get(SectionId.function);
  if (functions) facts.definedFuncs = sectionReader(input, functions).u32();
  const tables = get(SectionId.table);
  if (tables) facts.definedTables = sectionReader(input, tables).u32();
  const memories = get(SectionId.memory);
  if (memories) {
    const r = sectionReader(input, memories);
    const n = r.u32();
    for (let i = 0; i < n; i++) skipLimits(r);
  }
  const globals = get(SectionId.global);
  if (globals) {
    const r = sectionReader(input, globals);
    const n = r.u32();
    const sink = new ByteWriter(16);
    for (let i = 0; i < n; i++) {
      r.skipLeb();
      facts.definedGlobalMutable.push(r.u8() === 1);
      copyConstExpr(r, sink, (f) => f);
      sink.reset();
    }
  }
  return facts;
}

/** The type section's function types (value types are one byte each: no GC reference types). */
function readFuncTypes(input: Uint8Array, get: (id: number) => Section | undefined): FuncTypeSpec[] {
  const out: FuncTypeSpec[] = [];
  const section = get(SectionId.type);
  if (!section) return out;
  const r = sectionReader(input, section);
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    const form = r.u8();
    if (form !== 0x60) r.fail(`unsupported type form 0x${form.toString(16)} (only function types)`);
    const params = Array.from(r.bytesView(r.u32()));
    const results = Array.from(r.bytesView(r.u32()));
    out.push({ params, results });
  }
  return out;
}

/** The type index of each defined function. */
function definedFuncTypes(input: Uint8Array, get: (id: number) => Section | undefined, typeCount: number): Uint32Array {
  const functions = get(SectionId.function);
  if (!functions) return new Uint32Array(0);
  const r = sectionReader(input, functions);
  const out = new Uint32Array(r.u32());
  for (let i = 0; i < out.length; i++) {
    const type = r.u32();
    if (type >= typeCount) r.fail(`function ${i} has type ${type}, beyond the type section`);
    out[i] = type;
  }
  return out;
}

function skipLimits(r: ByteReader): void {
  const flags = r.u8();
  // The IC's costs for loads and stores differ for 64-bit memories; V8 in Node 20 has none.
  if (flags & 0x04) r.fail('64-bit memories are not supported');
  r.skipLeb();
  if (flags & 0x01) r.skipLeb();
}

/** Copies a constant expression up to and including its `end`, renumbering `ref.func`. */
function copyConstExpr(r: ByteReader, w: ByteWriter, remap: (f: number) => number): void {
  for (;;) {
    const op = r.u8();
    w.u8(op);
    switch (op) {
      case Op.end:
        return;
      case Op.i32Const:
      case Op.i64Const:
      case Op.globalGet:
      case Op.refNull: {
        const from = r.pos;
        r.skipLeb();
        w.bytes(r.bytes.subarray(from, r.pos));
        break;
      }
      case Op.f32Const:
        w.bytes(r.bytesView(4));
        break;
      case Op.f64Const:
        w.bytes(r.bytesView(8));
        break;
      case Op.refFunc:
        w.u32(remap(r.u32()));
        break;
      // extended-const
      case Op.i32Add:
      case Op.i32Sub:
      case Op.i32Mul:
      case Op.i64Add:
      case Op.i64Sub:
      case Op.i64Mul:
        break;
      default:
        r.fail(`unsupported operator 0x${op.toString(16)} in a constant expression`);
    }
  }
}

/** Re-emits a vector section with its entries copied verbatim and one entry appended. */
function appendToVector(input: Uint8Array, section: Section, writeEntry: (w: ByteWriter) => void): Uint8Array {
  const r = sectionReader(input, section);
  const n = r.u32();
  const w = new ByteWriter(r.end - r.pos + 64);
  w.u32(n + 1);
  w.bytes(r.bytes.subarray(r.pos, r.end));
  writeEntry(w);
  return w.finish();
}

interface FuncTypeSpec {
  params: number[];
  results: number[];
}

/** Finds each wanted function type in the type section, appending those that are missing. */
function withFuncTypes(input: Uint8Array, section: Section, wanted: FuncTypeSpec[]): { payload: Uint8Array; indices: number[] } {
  const r = sectionReader(input, section);
  const n = r.u32();
  const key = (t: FuncTypeSpec) => `${t.params.join(',')}->${t.results.join(',')}`;
  const existing = new Map<string, number>();
  const readValTypes = (): number[] => {
    const count = r.u32();
    const out: number[] = [];
    for (let j = 0; j < count; j++) out.push(r.u8());
    return out;
  };
  for (let i = 0; i < n; i++) {
    const form = r.u8();
    if (form !== 0x60) r.fail(`unsupported type form 0x${form.toString(16)} (only function types)`);
    const t = { params: readValTypes(), results: readValTypes() };
    if (!existing.has(key(t))) existing.set(key(t), i);
  }
  const appended: FuncTypeSpec[] = [];
  const indices = wanted.map((t) => {
    const found = existing.get(key(t));
    if (found !== undefined) return found;
    existing.set(key(t), n + appended.length);
    appended.push(t);
    return n + appended.length - 1;
  });
  const w = new ByteWriter(r.end - r.pos + 32);
  const body = sectionReader(input, section);
  body.u32();
  w.u32(n + appended.length);
  w.bytes(body.bytes.subarray(body.pos, body.end));
  for (const t of appended) {
    w.u8(0x60);
    w.u32(t.params.length);
    w.bytes(t.params);
    w.u32(t.results.length);
    w.bytes(t.results);
  }
  return { payload: w.finish(), indices };
}

/**
 * Globals re-emitted with `ref.func` renumbered, then the instruction counter `(mut i64)
 * (i64.const COUNTER_INITIAL_VALUE)`, then `zeros` more `(mut i64) (i64.const 0)` (profiling).
 */
function rewriteGlobals(input: Uint8Array, section: Section, remap: (f: number) => number, zeros: number): Uint8Array {
  const r = sectionReader(input, section);
  const n = r.u32();
  const w = new ByteWriter(r.end - r.pos + 32 + 4 * zeros);
  w.u32(n + 1 + zeros);
  for (let i = 0; i < n; i++) {
    const from = r.pos;
    r.skipLeb();
    r.u8();
    w.bytes(r.bytes.subarray(from, r.pos));
    copyConstExpr(r, w, remap);
  }
  w.bytes([ValType.i64, 1, Op.i64Const]);
  w.s64(Number(COUNTER_INITIAL_VALUE));
  w.u8(Op.end);
  for (let i = 0; i < zeros; i++) w.bytes([ValType.i64, 1, Op.i64Const, 0, Op.end]);
  return w.finish();
}

function rewriteExports(
  input: Uint8Array,
  section: Section,
  added: ReadonlyArray<{ name: string; kind: number; index: number }>,
  remap: (f: number) => number
): Uint8Array {
  const r = sectionReader(input, section);
  const n = r.u32();
  const w = new ByteWriter(r.end - r.pos + 64 * (added.length + 1));
  w.u32(n + added.length);
  const reserved = new Set(added.map((a) => a.name));
  for (let i = 0; i < n; i++) {
    const from = r.pos;
    const name = r.name();
    if (reserved.has(name)) throw new InvalidWasmError(`the module already exports "${name}", a name the replica reserves`);
    w.bytes(r.bytes.subarray(from, r.pos));
    const kind = r.u8();
    const index = r.u32();
    w.u8(kind);
    w.u32(kind === ExternalKind.func ? remap(index) : index);
  }
  for (const a of added) {
    w.name(a.name);
    w.u8(a.kind);
    w.u32(a.index);
  }
  return w.finish();
}

/** Element segments with function indices renumbered (all eight encodings). */
function rewriteElements(input: Uint8Array, section: Section, remap: (f: number) => number): Uint8Array {
  const r = sectionReader(input, section);
  const n = r.u32();
  const w = new ByteWriter((r.end - r.pos) * 2 + 16);
  w.u32(n);
  for (let i = 0; i < n; i++) {
    const flags = r.u32();
    w.u32(flags);
    if (flags > 7) r.fail(`unsupported element segment flags ${flags}`);
    const passiveOrDeclarative = (flags & 0x01) !== 0;
    const explicitTable = (flags & 0x02) !== 0;
    const usesExprs = (flags & 0x04) !== 0;
    if (!passiveOrDeclarative) {
      if (explicitTable) w.u32(r.u32());
      copyConstExpr(r, w, remap); // offset
    }
    if (passiveOrDeclarative || explicitTable) w.u8(r.u8()); // elemkind 0x00, or a reference type
    const count = r.u32();
    w.u32(count);
    for (let j = 0; j < count; j++) {
      if (usesExprs) copyConstExpr(r, w, remap);
      else w.u32(remap(r.u32()));
    }
  }
  return w.finish();
}

function customSectionName(input: Uint8Array, section: Section): string {
  return sectionReader(input, section).name();
}

/**
 * The `name` section with function indices in the function-names and local-names maps
 * renumbered, and in local names of a defined function the indices from its parameter count up
 * moved up by one (the counter parameter comes before the declared locals).
 */
function rewriteNameSection(
  input: Uint8Array,
  section: Section,
  remap: (f: number) => number,
  paramsOf: (f: number) => number | undefined
): Uint8Array {
  const r = sectionReader(input, section);
  const w = new ByteWriter(r.end - r.pos + 16);
  const nameStart = r.pos;
  r.name();
  w.bytes(r.bytes.subarray(nameStart, r.pos));
  while (!r.atEnd) {
    const id = r.u8();
    const size = r.u32();
    const sub = new ByteReader(r.bytes, r.pos, r.pos + size);
    r.skip(size);
    if (id !== 1 && id !== 2) {
      w.u8(id);
      w.u32(size);
      w.bytes(sub.bytes.subarray(sub.pos, sub.end));
      continue;
    }
    const out = new ByteWriter(size + 16);
    const count = sub.u32();
    out.u32(count);
    for (let i = 0; i < count; i++) {
      const f = sub.u32();
      out.u32(remap(f));
      if (id === 1) {
        const from = sub.pos;
        sub.name();
        out.bytes(sub.bytes.subarray(from, sub.pos));
      } else {
        const params = paramsOf(f) ?? Infinity;
        const locals = sub.u32();
        out.u32(locals);
        for (let j = 0; j < locals; j++) {
          const local = sub.u32();
          out.u32(local >= params ? local + 1 : local);
          const from = sub.pos;
          sub.name();
          out.bytes(sub.bytes.subarray(from, sub.pos));
        }
      }
    }
    w.u8(id);
    w.u32(out.length);
    w.bytes(out.view());
  }
  return w.finish();
}
