// Writes the values of Candid replies by hand, for the methods whose replies would otherwise go
// through Azle's generic encoder (uploads/*_wire.ts).
//
// Why: that encoder (its bundled @dfinity/candid, in QuickJS) builds the type table of the whole
// reply type on every call, the contract's Error variant included, before it writes a byte:
// measured on the replica, 26.5 million instructions for begin's few-byte reply and 34.8 million
// for finish's BlobInfo. The table and the argument types depend on the type alone, so
// `replyEncoder` takes them once from the generic encoder and then writes only the value.
import { idlHash } from './candid_reader.js';
import { utf8 } from './encoding.js';

export class CandidWriter {
  private buf = new Uint8Array(256);
  private n = 0;

  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }

  byte(b: number): this {
    this.room(1);
    this.buf[this.n++] = b;
    return this;
  }

  /** Unsigned LEB128 of a length, count or variant index. */
  uleb(value: number): this {
    let v = value;
    do {
      const low = v % 128;
      v = Math.floor(v / 128);
      this.byte(v > 0 ? low | 0x80 : low);
    } while (v > 0);
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.room(bytes.length);
    this.buf.set(bytes, this.n);
    this.n += bytes.length;
    return this;
  }

  nat32(value: number): this {
    this.room(4);
    new DataView(this.buf.buffer, this.n, 4).setUint32(0, value, true);
    this.n += 4;
    return this;
  }

  nat64(value: bigint): this {
    this.room(8);
    new DataView(this.buf.buffer, this.n, 8).setBigUint64(0, value, true);
    this.n += 8;
    return this;
  }

  bool(value: boolean): this {
    return this.byte(value ? 1 : 0);
  }

  /** `vec nat8`: its length, then its bytes. */
  blob(bytes: Uint8Array): this {
    return this.uleb(bytes.length).raw(bytes);
  }

  /** `vec nat32`. */
  nat32s(values: ArrayLike<number>): this {
    this.uleb(values.length);
    for (let i = 0; i < values.length; i++) this.nat32(values[i]!);
    return this;
  }

  /** `text` in UTF-8. */
  text(value: string): this {
    return this.blob(utf8(value));
  }

  /** `principal`: a reference (1), then the id's bytes (the Candid spec, "References"). */
  principal(bytes: Uint8Array): this {
    return this.byte(1).blob(bytes);
  }

  /** `opt T`: absent (0), or present (1) and its value written by `write`. */
  opt<T>(value: [] | [T], write: (w: this, v: T) => void): this {
    if (value.length === 0) return this.byte(0);
    this.byte(1);
    write(this, value[0]);
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

/** A record's or variant's labels in Candid's order, ascending field ids. */
export function labelOrder<L extends string>(labels: readonly L[]): L[] {
  return [...labels].sort((a, b) => idlHash(a) - idlHash(b));
}

/**
 * One reply type's encoder: the bytes before the value (magic, type table, argument types) are
 * taken from `generic`'s encoding of `sample` when the encoder is made, and checked — that
 * encoding must be the prefix followed by what `write` writes for `sample`, or every reply stays
 * `generic`'s. After that a reply costs only its value.
 *
 * Made eagerly, not on the first reply: the canister makes its encoders as its module loads, in
 * init and post_upgrade, whose heap persists; a query's changes to the heap are discarded, so a
 * prefix first made in a query would be made again by every query.
 */
export function replyEncoder<V>(generic: (value: V) => Uint8Array, sample: V, write: (w: CandidWriter, value: V) => void): (value: V) => Uint8Array {
  const whole = generic(sample);
  const value = new CandidWriter();
  write(value, sample);
  const tail = value.finish();
  const at = whole.length - tail.length;
  const fits = at >= 0 && tail.every((b, i) => whole[at + i] === b);
  if (!fits) return generic;
  const prefix = whole.slice(0, at);
  return (reply) => {
    const w = new CandidWriter().raw(prefix);
    write(w, reply);
    return w.finish();
  };
}

/** How each field of a record `V` is written. */
export type FieldWriters<V> = { [K in keyof V & string]: (w: CandidWriter, value: V[K]) => void };

/** Writes a record `V`: its fields in Candid's order, each by its writer. */
export function recordWriter<V>(fields: FieldWriters<V>): (w: CandidWriter, value: V) => void {
  const order = labelOrder(Object.keys(fields) as Array<keyof V & string>);
  return (w, value) => {
    for (const label of order) fields[label](w, value[label]);
  };
}

/** A variant's labels: each member of the union `V` is an object of one label. */
export type VariantLabel<V> = V extends unknown ? keyof V & string : never;
type VariantPayload<V, L extends string> = V extends { [K in L]: infer P } ? P : never;

/** How each case of a variant `V` writes its payload. */
export type CaseWriters<V> = { [L in VariantLabel<V>]: (w: CandidWriter, payload: VariantPayload<V, L>) => void };

/** Writes a variant `V`: its case's index among the labels in Candid's order, then its payload. */
export function variantWriter<V extends object>(cases: CaseWriters<V>): (w: CandidWriter, value: V) => void {
  const order = labelOrder(Object.keys(cases));
  const index = new Map(order.map((label, i) => [label, i]));
  const writers = cases as Record<string, (w: CandidWriter, payload: unknown) => void>;
  return (w, value) => {
    const label = Object.keys(value)[0]!;
    w.uleb(index.get(label)!);
    writers[label]!(w, (value as Record<string, unknown>)[label]);
  };
}
