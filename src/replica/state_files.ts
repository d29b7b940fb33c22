// The files of a replica state folder at the byte level: durable writes, and the error that
// names a damaged file. Everything read back from the folder is checked before it is used —
// lengths against the manifest, indices against the sizes it records, a SHA-256 over every
// record — so damage is refused at start, never loaded and never looped over.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export class StateDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export type Damage = 'missing' | 'unreadable' | 'truncated' | 'checksum' | 'index' | 'format';

/** A file of the state folder is missing, cut short or altered: the replica refuses to start. */
export class DamagedStateError extends StateDirError {
  constructor(
    /** The damaged file's path. */
    readonly file: string,
    readonly damage: Damage,
    detail: string
  ) {
    super(`the replica state file ${file} is damaged (${detail}); restore the folder from a backup or start with an empty --state-dir`);
  }
}

/** What a state folder's files hold, for counting what is written to each. */
export type WrittenKind = 'input' | 'heap' | 'stable' | 'manifest' | 'wasm';

/** Bytes a process wrote to a state folder, in total and by kind of file (for the benchmark). */
export class WrittenBytes {
  bytes = 0;
  readonly byKind: Record<WrittenKind, number> = { input: 0, heap: 0, stable: 0, manifest: 0, wasm: 0 };
  add(kind: WrittenKind, n: number): void {
    this.bytes += n;
    this.byKind[kind] += n;
  }
}

export function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Writes a whole file and fsyncs it. */
export function writeDurably(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    writeAll(fd, bytes, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces a file atomically: write a temporary, fsync, rename, fsync the folder. */
export function writeAtomically(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp`;
  writeDurably(tmp, bytes);
  renameSync(tmp, path);
  syncDir(dirname(path));
}

/** Makes renames and new names in a folder durable (POSIX leaves that to an fsync of the folder). */
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function writeAll(fd: number, bytes: Uint8Array, position: number): number {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  return position + done;
}
