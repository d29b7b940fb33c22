// Reads Candid's binary form a byte at a time, for the code that looks at an argument without
// Azle's decoder (the argument check, inspect.ts; put_chunk's own parse, uploads/put_chunk_wire.ts). Anything truncated or out of
// range throws RangeError; callers catch it.
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

  /** The next `n` bytes, as a view (no copy). */
  take(n: number): Uint8Array {
    if (this.offset + n > this.bytes.length) throw new RangeError('truncated');
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}
