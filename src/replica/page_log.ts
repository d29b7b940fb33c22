// A page log: one memory (a canister's heap or its stable memory) as an append-only file of
// 64 KiB page records. A checkpoint appends only the pages that changed since the previous one;
// the manifest records how many bytes of the log are valid, so whatever a killed checkpoint
// wrote past that is ignored and overwritten. Each record carries a SHA-256 of its index and
// bytes; on load every length, index and checksum is checked before a page is used.
import { closeSync, existsSync, fstatSync, ftruncateSync, fsyncSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { WASM_PAGE } from './stable_memory.js';
import { DamagedStateError, sha256, writeAll, writeDurably, type WrittenBytes } from './state_files.js';

const INDEX_BYTES = 4;
const CHECKSUM_BYTES = 32;
const HEADER = INDEX_BYTES + CHECKSUM_BYTES;
export const RECORD_BYTES = HEADER + WASM_PAGE;

export interface PageLogRef {
  file: string;
  /** Valid bytes: whole records only. */
  bytes: number;
}

/** Appends records at the end of the valid prefix; returns the new valid length once fsync'd. */
export function appendPages(dir: string, log: PageLogRef, pages: Iterable<[number, Uint8Array]>, counter: WrittenBytes, kind: 'heap' | 'stable'): number {
  const fd = openSync(join(dir, log.file), 'r+');
  try {
    const header = Buffer.alloc(HEADER);
    let at = log.bytes;
    for (const [index, page] of pages) {
      header.writeUInt32LE(index, 0);
      recordChecksum(header.subarray(0, INDEX_BYTES), page).copy(header, INDEX_BYTES);
      at = writeAll(fd, header, at);
      at = writeAll(fd, page, at);
      counter.add(kind, RECORD_BYTES);
    }
    ftruncateSync(fd, at);
    fsyncSync(fd);
    return at;
  } finally {
    closeSync(fd);
  }
}

export function createPageLog(dir: string, file: string): PageLogRef {
  writeDurably(join(dir, file), new Uint8Array(0));
  return { file, bytes: 0 };
}

/**
 * Reads a log's valid prefix into pages (later records of an index replace earlier ones),
 * refusing a log that is shorter than the manifest says, a record whose checksum does not
 * match, or an index at or past `pageCount`.
 */
export function readPageLog(dir: string, log: PageLogRef, pageCount: number): Map<number, Uint8Array> {
  const path = join(dir, log.file);
  if (!Number.isSafeInteger(log.bytes) || log.bytes < 0 || log.bytes % RECORD_BYTES !== 0) {
    throw new DamagedStateError(path, 'format', `the manifest gives it ${log.bytes} valid bytes, not a whole number of records`);
  }
  if (!existsSync(path)) throw new DamagedStateError(path, 'missing', 'the file does not exist');
  const fd = openSync(path, 'r');
  const pages = new Map<number, Uint8Array>();
  try {
    const size = fstatSync(fd).size;
    if (size < log.bytes) throw new DamagedStateError(path, 'truncated', `${size} bytes where the manifest records ${log.bytes}`);
    const header = Buffer.alloc(HEADER);
    for (let at = 0; at < log.bytes; at += RECORD_BYTES) {
      readFully(fd, header, at, path);
      const index = header.readUInt32LE(0);
      if (index >= pageCount) {
        throw new DamagedStateError(path, 'index', `record at byte ${at} names page ${index} of a ${pageCount}-page memory`);
      }
      const page = new Uint8Array(WASM_PAGE);
      readFully(fd, page, at + HEADER, path);
      if (!recordChecksum(header.subarray(0, INDEX_BYTES), page).equals(header.subarray(INDEX_BYTES))) {
        throw new DamagedStateError(path, 'checksum', `record at byte ${at} does not match its checksum`);
      }
      pages.set(index, page);
    }
  } finally {
    closeSync(fd);
  }
  return pages;
}

function recordChecksum(index: Uint8Array, page: Uint8Array): Buffer {
  return sha256(index, page);
}

function readFully(fd: number, into: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new DamagedStateError(path, 'truncated', `ends inside the record at byte ${position}`);
    done += n;
  }
}
