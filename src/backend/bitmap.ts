// The received-chunk bitmap of a session: one bit per chunk index, lowest bit first.

export class ChunkBitmap {
  private constructor(
    readonly bits: Uint8Array,
    readonly size: number
  ) {}

  static empty(size: number): ChunkBitmap {
    return new ChunkBitmap(new Uint8Array(Math.ceil(size / 8)), size);
  }

  /** Validates that the stored bytes fit `size` bits: nothing unverified is used. */
  static fromBytes(bits: Uint8Array, size: number): ChunkBitmap {
    if (bits.length !== Math.ceil(size / 8)) {
      throw new RangeError(`bitmap of ${bits.length} bytes cannot hold ${size} bits`);
    }
    return new ChunkBitmap(bits, size);
  }

  has(index: number): boolean {
    return index >= 0 && index < this.size && (this.bits[index >>> 3] & (1 << (index & 7))) !== 0;
  }

  /** Sets a bit; answers false if it was already set. */
  set(index: number): boolean {
    if (index < 0 || index >= this.size) throw new RangeError(`bit ${index} outside 0..${this.size}`);
    const mask = 1 << (index & 7);
    if ((this.bits[index >>> 3] & mask) !== 0) return false;
    this.bits[index >>> 3] |= mask;
    return true;
  }

  count(): number {
    let total = 0;
    for (let i = 0; i < this.bits.length; i++) {
      let b = this.bits[i];
      while (b !== 0) {
        b &= b - 1;
        total++;
      }
    }
    return total;
  }

  /** Indexes set, ascending. */
  indexes(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.has(i)) out.push(i);
    return out;
  }

  /** Up to `limit` missing indexes, ascending. */
  missing(limit: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size && out.length < limit; i++) if (!this.has(i)) out.push(i);
    return out;
  }

  /** The first index at or after `from` that is not set (or `size`). */
  firstMissingFrom(from: number): number {
    let i = from;
    while (i < this.size && this.has(i)) i++;
    return i;
  }

  /** The first index at or after `from` that is set (or `size`); skips empty bytes whole. */
  firstSetFrom(from: number): number {
    let i = from;
    while (i < this.size) {
      if ((i & 7) === 0 && this.bits[i >>> 3] === 0) {
        i += 8;
        continue;
      }
      if (this.has(i)) return i;
      i++;
    }
    return this.size;
  }
}
