// Reads Candid's binary form a byte at a time, for the code that looks at an argument without
// Azle's decoder (the argument check, inspect.ts; put_chunk's own parse, uploads/put_chunk_wire.ts). Anything truncated or out of
// range throws RangeError; callers catch it.
/** Type codes of Candid's binary form (the Candid spec, "Types"), as signed LEB128 values. */
export const CANDID_TYPE = {
  null: -1,
  nat: -3,
  int: -4,
  nat8: -5,
  nat32: -7,
  nat64: -8,
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
