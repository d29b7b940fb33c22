// The input log: what was given to the replica since its last checkpoint, in order — ingress
// messages, the time of every round that changed something and the randomness it drew — so
// that loading the checkpoint and executing the log again reproduces the state exactly, as the
// IC recovers from a checkpoint and the blocks after it. A call is durable once its entry is
// fsync'd here, which costs the size of the message rather than the pages it changed.
//
// Record: u32 length ‖ SHA-256(payload) ‖ payload (CBOR). Records are appended whole and
// fsync'd before any call they carry is answered, so the only damage a kill can leave is a last
// record cut short, which was never acknowledged and is dropped; anything else that fails its
// checksum is refused.
import { decode, encode } from 'cborg';
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { CanisterCall } from './types.js';
import { DamagedStateError, sha256, writeAll, writeDurably, type WrittenBytes } from './state_files.js';

const HEADER = 4 + 32;
/** Larger than any entry can be (a 2 MiB ingress message and its envelope). */
const MAX_ENTRY_BYTES = 16 * 1024 * 1024;

export type InputEntry =
  | { k: 'submit'; id: Uint8Array; call: CanisterCall }
  | { k: 'accepted'; id: string; sender: Uint8Array; receiver: Uint8Array; expiry: bigint }
  /** A round: its time and the raw_rand bytes it drew, and how many changes it made (a replay check). */
  | { k: 'round'; time: bigint; random: Uint8Array[]; changes: number }
  | { k: 'cycles'; canister: Uint8Array; amount: bigint }
  | { k: 'stable'; canister: Uint8Array; bytes: Uint8Array };

export class InputLog {
  private fd: number | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Valid bytes on disk. */
  bytes = 0;

  constructor(
    readonly dir: string,
    readonly file: string,
    private readonly written: WrittenBytes
  ) {}

  static create(dir: string, file: string, written: WrittenBytes): InputLog {
    writeDurably(join(dir, file), new Uint8Array(0));
    return new InputLog(dir, file, written);
  }

  /** Continues a log after its valid prefix: a record a kill cut short is cut off first. */
  static resume(dir: string, file: string, written: WrittenBytes, validBytes: number): InputLog {
    const log = new InputLog(dir, file, written);
    log.fd = openSync(join(dir, file), 'r+');
    if (fstatSync(log.fd).size !== validBytes) {
      ftruncateSync(log.fd, validBytes);
      fsyncSync(log.fd);
    }
    log.bytes = validBytes;
    return log;
  }

  /** Entries waiting for `flush`, and on disk. */
  get size(): number {
    return this.bytes + this.pendingBytes;
  }

  get empty(): boolean {
    return this.size === 0;
  }

  append(entry: InputEntry): void {
    const payload = encode(entry);
    const header = Buffer.alloc(HEADER);
    header.writeUInt32LE(payload.length, 0);
    sha256(payload).copy(header, 4);
    this.pending.push(header, Buffer.from(payload.buffer, payload.byteOffset, payload.length));
    this.pendingBytes += HEADER + payload.length;
  }

  /** Writes what was appended and fsyncs it: after this, every appended entry survives a kill. */
  flush(): void {
    if (this.pending.length === 0) return;
    this.fd ??= openSync(join(this.dir, this.file), 'r+');
    const bytes = Buffer.concat(this.pending);
    writeAll(this.fd, bytes, this.bytes);
    fsyncSync(this.fd);
    this.bytes += bytes.length;
    this.written.add('input', bytes.length);
    this.pending = [];
    this.pendingBytes = 0;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Reads every whole, intact entry; a last record cut short is dropped, any other damage refused. */
  static read(dir: string, file: string): { entries: InputEntry[]; validBytes: number } {
    const path = join(dir, file);
    if (!existsSync(path)) throw new DamagedStateError(path, 'missing', 'the file does not exist');
    const fd = openSync(path, 'r');
    const entries: InputEntry[] = [];
    let at = 0;
    try {
      const size = fstatSync(fd).size;
      const header = Buffer.alloc(HEADER);
      while (at < size) {
        if (size - at < HEADER) break; // a header cut short by a kill: never acknowledged
        readAt(fd, header, at);
        const length = header.readUInt32LE(0);
        if (length > MAX_ENTRY_BYTES) {
          if (isZero(fd, at, size)) break; // space a crash left allocated but unwritten
          throw new DamagedStateError(path, 'format', `record at byte ${at} claims ${length} bytes`);
        }
        if (size - at - HEADER < length) break; // a record cut short by a kill
        const payload = Buffer.alloc(length);
        readAt(fd, payload, at + HEADER);
        if (!sha256(payload).equals(header.subarray(4))) {
          if (isZero(fd, at, size)) break;
          throw new DamagedStateError(path, 'checksum', `record at byte ${at} does not match its checksum`);
        }
        entries.push(decodeEntry(payload, path, at));
        at += HEADER + length;
      }
    } finally {
      closeSync(fd);
    }
    return { entries, validBytes: at };
  }
}

function decodeEntry(payload: Uint8Array, path: string, at: number): InputEntry {
  try {
    return decode(payload, { useMaps: false }) as InputEntry;
  } catch (e) {
    throw new DamagedStateError(path, 'format', `record at byte ${at} cannot be decoded: ${(e as Error).message}`);
  }
}

function readAt(fd: number, into: Uint8Array, position: number): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new Error('replica bug: read past the size just measured');
    done += n;
  }
}

/** Whether everything from `at` to the end is zero bytes. */
function isZero(fd: number, at: number, size: number): boolean {
  const chunk = Buffer.alloc(64 * 1024);
  for (let pos = at; pos < size; pos += chunk.length) {
    const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - pos), pos);
    for (let i = 0; i < n; i++) if (chunk[i] !== 0) return false;
  }
  return true;
}
