// Reads Candid's binary form a byte at a time, for the code that looks at an argument without
// Azle's decoder: the argument check (inspect.ts) and the methods' own parses of the argument
// shapes clients send (uploads/*_wire.ts). Anything truncated or out of range throws RangeError;
// callers catch it.
import { fromUtf8, utf8 } from './encoding.js';

/** Type codes of Candid's binary form (the Candid spec, "Types"), as signed LEB128 values. */
export const CANDID_TYPE = {
  null: -1,
  bool: -2,
  nat: -3,
  int: -4,
  nat8: -5,
  nat32: -7,
  nat64: -8,
  text: -15,
  reserved: -16,
  empty: -17,
  opt: -18,
  vec: -19,
  record: -20,
  variant: -21,
  func: -22,
  service: -23
} as const;

export class CandidReader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}

  byte(): number {
    if (this.offset >= this.bytes.length) throw new RangeError('truncated');
    return this.bytes[this.offset++]!;
  }

  /** LEB128; more than 5 bytes (past 2^35) is refused: no count, index or length of ours is that large. */
  uleb(): number {
    return this.leb(false);
  }

  /** Signed LEB128 (type codes and type-table indices). */
  sleb(): number {
    return this.leb(true);
  }

  private leb(signed: boolean): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return signed && (b & 0x40) !== 0 ? value - scale : value;
    }
    throw new RangeError('leb128 too long');
  }

  /** Whether the next four bytes are Candid's magic, "DIDL" (read past them either way). */
  magic(): boolean {
    return this.byte() === 0x44 && this.byte() === 0x49 && this.byte() === 0x44 && this.byte() === 0x4c;
  }

  /** The next `n` bytes, as a view (no copy). */
  take(n: number): Uint8Array {
    if (this.offset + n > this.bytes.length) throw new RangeError('truncated');
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

/** Candid's field id: the label's UTF-8 bytes folded as h * 223 + b mod 2^32 (the Candid spec, "Records"). */
export function idlHash(label: string): number {
  let h = 0;
  for (const b of utf8(label)) h = (Math.imul(h, 223) + b) >>> 0;
  return h;
}

// ---- Arguments of known shapes, parsed without a generic decoder ----

/** The value types our arguments' fields take, written as in Candid. */
export type FieldShape = 'text' | 'nat32' | 'nat64' | 'blob' | 'opt blob' | 'opt bool';

/** What a field of the shape decodes to, as agent-js and Azle's IDL decode it. */
export type ShapeValue<S extends FieldShape> = S extends 'text'
  ? string
  : S extends 'nat32'
    ? number
    : S extends 'nat64'
      ? bigint
      : S extends 'blob'
        ? Uint8Array
        : S extends 'opt blob'
          ? [] | [Uint8Array]
          : S extends 'opt bool'
            ? [] | [boolean]
            : never;

export type RecordValue<F extends Record<string, FieldShape>> = { [K in keyof F]: ShapeValue<F[K]> };

/** A record type, its fields in Candid's order (ascending ids), made once per method. */
export interface RecordShape<F extends Record<string, FieldShape>> {
  fields: ReadonlyArray<{ label: keyof F & string; id: number; shape: FieldShape }>;
}

export function recordShape<F extends Record<string, FieldShape>>(fields: F): RecordShape<F> {
  const list = Object.entries(fields).map(([label, shape]) => ({ label, id: idlHash(label), shape }));
  return { fields: list.sort((a, b) => a.id - b.id) };
}

/** A type-table entry of the kinds our arguments use; any other kind makes the parse give up. */
type Entry = { kind: 'record'; fields: Array<[number, number]> } | { kind: 'vec' | 'opt'; element: number };

function readTypeTable(r: CandidReader): Entry[] | undefined {
  const table: Entry[] = [];
  const entries = r.uleb();
  for (let i = 0; i < entries; i++) {
    const code = r.sleb();
    if (code === CANDID_TYPE.vec) table.push({ kind: 'vec', element: r.sleb() });
    else if (code === CANDID_TYPE.opt) table.push({ kind: 'opt', element: r.sleb() });
    else if (code === CANDID_TYPE.record) {
      const fields: Array<[number, number]> = [];
      const n = r.uleb();
      for (let j = 0; j < n; j++) fields.push([r.uleb(), r.sleb()]);
      table.push({ kind: 'record', fields });
    } else return undefined;
  }
  return table;
}

/** Whether type `t` (a primitive code or a table index) is exactly `shape`. */
function matches(table: Entry[], t: number, shape: FieldShape): boolean {
  const entry = t >= 0 ? table[t] : undefined;
  const isBlob = (e: Entry | undefined) => e?.kind === 'vec' && e.element === CANDID_TYPE.nat8;
  switch (shape) {
    case 'text':
      return t === CANDID_TYPE.text;
    case 'nat32':
      return t === CANDID_TYPE.nat32;
    case 'nat64':
      return t === CANDID_TYPE.nat64;
    case 'blob':
      return isBlob(entry);
    case 'opt blob':
      return entry?.kind === 'opt' && entry.element >= 0 && isBlob(table[entry.element]);
    case 'opt bool':
      return entry?.kind === 'opt' && entry.element === CANDID_TYPE.bool;
  }
}

function readValue(r: CandidReader, shape: FieldShape): ShapeValue<FieldShape> {
  switch (shape) {
    case 'text':
      // Agent-js and Azle's IDL decode text as fromUtf8 does: fatal, a leading BOM dropped.
      return fromUtf8(r.take(r.uleb()));
    case 'nat32': {
      const b = r.take(4);
      return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
    }
    case 'nat64': {
      const b = r.take(8);
      return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
    }
    case 'blob':
      return r.take(r.uleb());
    case 'opt blob':
      return optional(r) ? [r.take(r.uleb())] : [];
    case 'opt bool':
      return optional(r) ? [flag(r)] : [];
  }
}

function optional(r: CandidReader): boolean {
  const tag = r.byte();
  if (tag > 1) throw new RangeError('opt tag');
  return tag === 1;
}

function flag(r: CandidReader): boolean {
  const b = r.byte();
  if (b > 1) throw new RangeError('bool');
  return b === 1;
}

/**
 * Parses an argument whose one value has exactly the type `expected` (a record's fields all
 * present, no more, in any table layout); undefined for anything else — other or more fields or
 * arguments, a subtype, trailing bytes, a malformation, text that is not UTF-8 — which the
 * caller leaves to the generic decoder, so what is accepted here decodes as it would there.
 * Blobs are views of `arg`.
 */
export function parseArgument<F extends Record<string, FieldShape>>(arg: Uint8Array, expected: RecordShape<F>): RecordValue<F> | undefined;
export function parseArgument<S extends FieldShape>(arg: Uint8Array, expected: S): ShapeValue<S> | undefined;
export function parseArgument(arg: Uint8Array, expected: RecordShape<Record<string, FieldShape>> | FieldShape): unknown {
  try {
    const r = new CandidReader(arg);
    if (!r.magic()) return undefined;
    const table = readTypeTable(r);
    if (table === undefined || r.uleb() !== 1) return undefined;
    const t = r.sleb();
    let value: unknown;
    if (typeof expected === 'string') {
      if (!matches(table, t, expected)) return undefined;
      value = readValue(r, expected);
    } else {
      const entry = t >= 0 ? table[t] : undefined;
      const want = expected.fields;
      if (entry?.kind !== 'record' || entry.fields.length !== want.length) return undefined;
      // Candid requires a record's fields in ascending id order, and its values come in it.
      for (let i = 0; i < want.length; i++) {
        const [id, type] = entry.fields[i]!;
        if (id !== want[i]!.id || !matches(table, type, want[i]!.shape)) return undefined;
      }
      const out: Record<string, unknown> = {};
      for (const field of want) out[field.label] = readValue(r, field.shape);
      value = out;
    }
    return r.offset === arg.length ? value : undefined;
  } catch (e) {
    // Truncation, an out-of-range tag, or text that is not UTF-8 (TypeError from the decoder).
    if (e instanceof RangeError || e instanceof TypeError) return undefined;
    throw e;
  }
}
