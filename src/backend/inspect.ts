// canister_inspect_message's checks (it runs before consensus, costs the canister nothing, and
// may use 200 million instructions). Azle's Candid decoder walks every element of a `vec` even
// when elements take no bytes: a 22-byte argument ending in `vec null` of 2^24 elements burns an
// update's whole 40-billion limit. So before any decoding, this reads only the argument's header
// — the type table and the argument types, a few bytes — and refuses types none of our methods
// take (a vec of zero-sized elements, func and service references, and reserved/empty), and more
// arguments than the method has. Anonymous callers are refused for every update: each one of them
// answers Forbidden to the anonymous principal. This is not a decoder: values are not read.

const T = {
  null: -1,
  reserved: -16,
  empty: -17,
  opt: -18,
  vec: -19,
  record: -20,
  variant: -21,
  func: -22,
  service: -23
} as const;

/** Arguments each update takes (the test canister's extra methods included). */
const UPDATE_ARITY: Record<string, number> = {
  begin: 1,
  put_chunk: 1,
  finish: 1,
  abort: 1,
  delete_asset: 1,
  set_public: 2,
  seed: 3,
  probe: 1
};

export function isUpdateMethod(method: string): boolean {
  return UPDATE_ARITY[method] !== undefined;
}

class Cursor {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  byte(): number {
    if (this.offset >= this.bytes.length) throw new RangeError('truncated');
    return this.bytes[this.offset++]!;
  }

  /** LEB128; more than 5 bytes (past 2^35) is refused: no count or index of ours is that large. */
  uleb(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new RangeError('leb128 too long');
  }

  sleb(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return (b & 0x40) !== 0 ? value - scale : value;
    }
    throw new RangeError('leb128 too long');
  }
}

/** The type table's entries that take no bytes per element (null, reserved, empty, record {}). */
function zeroSized(type: number, emptyRecords: Set<number>): boolean {
  return type === T.null || type === T.reserved || type === T.empty || emptyRecords.has(type);
}

/**
 * Answers why the argument must be refused, or undefined when its header is of shapes our
 * methods take. Cost: a few thousand instructions per type-table entry, never per value.
 */
export function argumentRefusal(method: string, arg: Uint8Array): string | undefined {
  const arity = UPDATE_ARITY[method];
  if (arity === undefined) return undefined;
  try {
    const c = new Cursor(arg);
    if (c.byte() !== 0x44 || c.byte() !== 0x49 || c.byte() !== 0x44 || c.byte() !== 0x4c) return 'not Candid';
    const entries = c.uleb();
    if (entries > 64) return 'type table too large';
    const emptyRecords = new Set<number>();
    const vecs: number[] = [];
    for (let i = 0; i < entries; i++) {
      const op = c.sleb();
      if (op === T.opt) c.sleb();
      else if (op === T.vec) vecs.push(c.sleb());
      else if (op === T.record || op === T.variant) {
        const fields = c.uleb();
        if (fields > 64) return 'too many fields';
        if (op === T.record && fields === 0) emptyRecords.add(i);
        for (let f = 0; f < fields; f++) {
          c.uleb();
          c.sleb();
        }
      } else return `type ${op} is taken by no method`;
    }
    for (const element of vecs) if (zeroSized(element, emptyRecords)) return 'vec of zero-sized elements';
    const count = c.uleb();
    if (count > arity) return `${count} arguments, ${method} takes ${arity}`;
    for (let i = 0; i < count; i++) {
      const type = c.sleb();
      if (type === T.reserved || type === T.empty || (type >= 0 && type >= entries)) return 'argument type out of range';
    }
    return undefined;
  } catch {
    return 'malformed header';
  }
}
