// Wasm binary format primitives: LEB128, a bounds-checked reader, a growable writer, and the
// section list of a module. Spec: https://webassembly.github.io/spec/core/binary/index.html

/** The bytes are not a Wasm module this replica can prepare (malformed, or uses an unsupported feature). */
export class InvalidWasmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidWasmError';
  }
}

export const WASM_MAGIC_AND_VERSION = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);

export const SectionId = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
  tag: 13
} as const;

/** Position of each known section id in the order the binary format requires. */
const SECTION_RANK: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };

export const ExternalKind = { func: 0, table: 1, memory: 2, global: 3, tag: 4 } as const;

export class ByteReader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    pos = 0,
    readonly end = bytes.length
  ) {
    this.pos = pos;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  fail(what: string): never {
    throw new InvalidWasmError(`${what} at byte offset ${this.pos}`);
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('unexpected end of data');
    return this.bytes[this.pos++];
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.u8();
      if (shift === 28 && byte > 0x0f) this.fail('u32 LEB128 overflows');
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
  }

  /** A signed 32-bit LEB128 (an i32.const's immediate). */
  s32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.u8();
      if (shift === 28 && byte > 0x0f && byte < 0x70) this.fail('s32 LEB128 overflows');
      result |= (byte & 0x7f) << shift;
      shift += 7;
      if ((byte & 0x80) === 0) return shift < 32 && byte & 0x40 ? result | (-1 << shift) : result | 0;
    }
  }

  /** Skips any LEB128 (signed or unsigned, 32 or 64 bit); bounds are checked once at the end. */
  skipLeb(): void {
    const b = this.bytes;
    let p = this.pos;
    while (b[p++] & 0x80);
    if (p > this.end) this.fail('unexpected end of data in LEB128');
    this.pos = p;
  }

  skip(n: number): void {
    if (this.pos + n > this.end) this.fail('unexpected end of data');
    this.pos += n;
  }

  bytesView(n: number): Uint8Array {
    const start = this.pos;
    this.skip(n);
    return this.bytes.subarray(start, start + n);
  }

  name(): string {
    const n = this.u32();
    return new TextDecoder('utf-8', { fatal: true }).decode(this.bytesView(n));
  }
}

export class ByteWriter {
  private buf: Uint8Array;
  length = 0;

  constructor(initialCapacity = 1024) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  private ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  reset(): void {
    this.length = 0;
  }

  u8(x: number): void {
    this.ensure(1);
    this.buf[this.length++] = x;
  }

  u32(x: number): void {
    this.ensure(5);
    let v = x >>> 0;
    for (;;) {
      const byte = v & 0x7f;
      v >>>= 7;
      if (v === 0) {
        this.buf[this.length++] = byte;
        return;
      }
      this.buf[this.length++] = byte | 0x80;
    }
  }

  /** Signed LEB128 of a safe integer (costs, counters); fast for non-negative values. */
  s64(x: number): void {
    if (x < 0 || !Number.isSafeInteger(x)) {
      this.bytes(encodeS64(BigInt(x)));
      return;
    }
    this.ensure(10);
    let v = x;
    for (;;) {
      const byte = v % 128;
      v = (v - byte) / 128;
      if (v === 0 && (byte & 0x40) === 0) {
        this.buf[this.length++] = byte;
        return;
      }
      this.buf[this.length++] = byte | 0x80;
    }
  }

  bytes(b: Uint8Array | readonly number[]): void {
    this.ensure(b.length);
    if (b instanceof Uint8Array) this.buf.set(b, this.length);
    else for (let i = 0; i < b.length; i++) this.buf[this.length + i] = b[i];
    this.length += b.length;
  }

  name(s: string): void {
    const encoded = new TextEncoder().encode(s);
    this.u32(encoded.length);
    this.bytes(encoded);
  }

  /** A view of the bytes written so far (valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export function encodeU32(x: number): Uint8Array {
  const w = new ByteWriter(5);
  w.u32(x);
  return w.finish();
}

export function encodeS64(x: bigint): Uint8Array {
  const out: number[] = [];
  let v = BigInt.asIntN(64, x);
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return Uint8Array.from(out);
  }
}

/** One section of a module: its payload is `bytes[start, end)` of the input unless replaced. */
export interface Section {
  id: number;
  start: number;
  end: number;
  /** Replacement payload; when absent the input bytes are copied. */
  payload?: Uint8Array;
}

export function readSections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || !WASM_MAGIC_AND_VERSION.every((b, i) => bytes[i] === b)) {
    throw new InvalidWasmError('not a Wasm module: bad magic number or version');
  }
  const r = new ByteReader(bytes, 8);
  const sections: Section[] = [];
  let lastRank = 0;
  while (!r.atEnd) {
    const id = r.u8();
    const size = r.u32();
    const start = r.pos;
    r.skip(size);
    if (id !== SectionId.custom) {
      const rank = SECTION_RANK[id];
      if (rank === undefined) throw new InvalidWasmError(`unknown section id ${id} at byte offset ${start}`);
      if (rank <= lastRank) throw new InvalidWasmError(`section ${id} out of order or duplicated`);
      lastRank = rank;
    }
    sections.push({ id, start, end: r.pos });
  }
  return sections;
}

/** Finds a non-custom vector section, or inserts an empty one where the format's order puts it. */
export function findOrInsertSection(sections: Section[], id: number): Section {
  const existing = sections.find((s) => s.id === id);
  if (existing) return existing;
  const rank = SECTION_RANK[id];
  let at = sections.length;
  for (let i = 0; i < sections.length; i++) {
    const other = sections[i];
    if (other.id !== SectionId.custom && SECTION_RANK[other.id] > rank) {
      at = i;
      break;
    }
  }
  // Every section this is used for holds a vector: the empty one is a zero count.
  const created: Section = { id, start: 0, end: 0, payload: Uint8Array.of(0) };
  sections.splice(at, 0, created);
  return created;
}

export function writeModule(input: Uint8Array, sections: readonly Section[]): Uint8Array<ArrayBuffer> {
  let total = 8;
  for (const s of sections) {
    const size = s.payload ? s.payload.length : s.end - s.start;
    total += 1 + encodeU32(size).length + size;
  }
  const out = new Uint8Array(total);
  out.set(WASM_MAGIC_AND_VERSION, 0);
  let p = 8;
  for (const s of sections) {
    const payload = s.payload ?? input.subarray(s.start, s.end);
    out[p++] = s.id;
    const size = encodeU32(payload.length);
    out.set(size, p);
    p += size.length;
    out.set(payload, p);
    p += payload.length;
  }
  return out;
}

/** A reader over a section's current payload. */
export function sectionReader(input: Uint8Array, section: Section): ByteReader {
  return section.payload ? new ByteReader(section.payload) : new ByteReader(input, section.start, section.end);
}
