// A compact, versioned binary encoding for the records kept in stable memory (never JSON of byte
// arrays). Integers are big-endian so that encoded keys sort in numeric order inside a
// StableBTreeMap.

// The canister's TextEncoder and TextDecoder are JavaScript polyfills: measured in ic_upload,
// about 160,000 instructions a call for a 10-character asset id either way, and every record
// with a name in it passes through them. ASCII, what ids, names and content types nearly always
// are, is copied a code unit at a time here instead (about 1,000 for the same id).
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x80) return textEncoder.encode(text);
    out[i] = unit;
  }
  return out;
}

/** UTF-8 bytes as text; invalid UTF-8 throws (a leading BOM is dropped, as agent-js and Azle do). */
export function fromUtf8(bytes: Uint8Array): string {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) return textDecoder.decode(bytes);
  }
  let ascii = '';
  for (let i = 0; i < bytes.length; i += 4096) ascii += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return ascii;
}

/** Thrown when stored bytes do not decode: a bug or corrupted memory, never bad user input. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(`decode: ${message}`);
    this.name = 'DecodeError';
  }
}

export class Writer {
  private buffer: Uint8Array;
  private view: DataView;
  private length = 0;

  constructor(capacity = 128) {
    this.buffer = new Uint8Array(capacity);
    this.view = new DataView(this.buffer.buffer);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(value: number): this {
    this.reserve(1);
    this.buffer[this.length++] = value;
    return this;
  }

  u32(value: number): this {
    this.reserve(4);
    this.view.setUint32(this.length, value);
    this.length += 4;
    return this;
  }

  u64(value: bigint): this {
    this.reserve(8);
    this.view.setBigUint64(this.length, value);
    this.length += 8;
    return this;
  }

  /** Raw bytes of a length the reader knows (e.g. a 32-byte digest). */
  fixed(bytes: Uint8Array): this {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }

  /** Length-prefixed (u32) bytes. */
  bytes(bytes: Uint8Array): this {
    return this.u32(bytes.length).fixed(bytes);
  }

  text(value: string): this {
    return this.bytes(utf8(value));
  }

  optional<T>(value: T | undefined, write: (w: this, v: T) => void): this {
    if (value === undefined) return this.u8(0);
    this.u8(1);
    write(this, value);
    return this;
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

export class Reader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly buffer: Uint8Array) {
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }

  private need(count: number): void {
    if (this.offset + count > this.buffer.length) {
      throw new DecodeError(`needs ${count} bytes at offset ${this.offset} of ${this.buffer.length}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.buffer[this.offset++];
  }

  u32(): number {
    this.need(4);
    const value = this.view.getUint32(this.offset);
    this.offset += 4;
    return value;
  }

  u64(): bigint {
    this.need(8);
    const value = this.view.getBigUint64(this.offset);
    this.offset += 8;
    return value;
  }

  fixed(length: number): Uint8Array {
    this.need(length);
    const value = this.buffer.slice(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  bytes(): Uint8Array {
    return this.fixed(this.u32());
  }

  text(): string {
    return fromUtf8(this.bytes());
  }

  optional<T>(read: (r: this) => T): T | undefined {
    const flag = this.u8();
    if (flag === 0) return undefined;
    if (flag !== 1) throw new DecodeError(`bad option flag ${flag}`);
    return read(this);
  }

  /** Record decoders call this last so that trailing garbage is caught, not ignored. */
  end(): void {
    if (this.offset !== this.buffer.length) {
      throw new DecodeError(`${this.buffer.length - this.offset} trailing bytes`);
    }
  }
}

export function u64Key(value: bigint): Uint8Array {
  return new Writer(8).u64(value).finish();
}

export function readU64Key(key: Uint8Array): bigint {
  const reader = new Reader(key);
  const value = reader.u64();
  reader.end();
  return value;
}
