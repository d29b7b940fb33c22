// Instrumented modules kept on disk, so a restarted local network does not instrument the same
// canister Wasm again (≈1.5 s for an Azle module on these machines). An entry is named by the
// SHA-256 of the module it came from, the metering mode and a digest of the instrumenter's own
// source files — a changed instrumenter never reuses an entry another version wrote — and
// carries a SHA-256 of its bytes: an entry that fails it is ignored and written again, since a
// cache may always be rebuilt.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InstrumentedWasm } from './instrument.js';

/** Entries kept: the current module and a few it was upgraded from or to. */
const KEEP = 4;
const MAGIC = 'icu-instrumented-2';

interface Header {
  magic: string;
  sha256: string;
  globalExports: string[];
  tableExported: boolean;
  metered: boolean;
  heapBase: number;
}

let instrumenterDigest: string | undefined;

/** A digest of this folder's sources (.ts in a clone run through tsx, .js once compiled). */
function instrumenter(): string {
  if (instrumenterDigest) return instrumenterDigest;
  const dir = dirname(fileURLToPath(import.meta.url));
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).filter((n) => /\.(ts|js|mjs)$/.test(n) && !n.endsWith('.d.ts')).sort()) {
    hash.update(`${name}\0`).update(readFileSync(join(dir, name))).update('\0');
  }
  instrumenterDigest = hash.digest('hex').slice(0, 16);
  return instrumenterDigest;
}

function entryName(moduleSha256: string, metering: boolean): string {
  return `instrumented-${moduleSha256}-${metering ? 'metered' : 'plain'}-${instrumenter()}.wasm`;
}

/** The cached instrumentation of the module with this hash, or undefined (missing or damaged). */
export function readInstrumented(dir: string, moduleSha256: string, metering: boolean): InstrumentedWasm | undefined {
  let file: Buffer;
  try {
    file = readFileSync(join(dir, entryName(moduleSha256, metering)));
  } catch {
    return undefined;
  }
  if (file.length < 4) return undefined;
  const headerBytes = file.readUInt32LE(0);
  if (4 + headerBytes > file.length) return undefined;
  let header: Header;
  try {
    header = JSON.parse(file.subarray(4, 4 + headerBytes).toString('utf8')) as Header;
  } catch {
    return undefined;
  }
  const bytes = new Uint8Array(file.subarray(4 + headerBytes));
  if (header.magic !== MAGIC || createHash('sha256').update(bytes).digest('hex') !== header.sha256) return undefined;
  if (header.metered !== metering || !Array.isArray(header.globalExports) || typeof header.heapBase !== 'number') return undefined;
  return { bytes, globalExports: header.globalExports, tableExported: header.tableExported, metered: header.metered, heapBase: header.heapBase };
}

/** Stores an instrumentation (write, rename: a reader sees a whole entry or none) and drops old ones. */
export function writeInstrumented(dir: string, moduleSha256: string, metering: boolean, wasm: InstrumentedWasm): void {
  mkdirSync(dir, { recursive: true });
  const header: Header = {
    magic: MAGIC,
    sha256: createHash('sha256').update(wasm.bytes).digest('hex'),
    globalExports: wasm.globalExports,
    tableExported: wasm.tableExported,
    metered: wasm.metered,
    heapBase: wasm.heapBase
  };
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length, 0);
  const name = entryName(moduleSha256, metering);
  const tmp = join(dir, `${name}.${process.pid}.tmp`);
  writeFileSync(tmp, Buffer.concat([length, json, wasm.bytes]));
  renameSync(tmp, join(dir, name));
  const entries = readdirSync(dir)
    .filter((n) => n.startsWith('instrumented-'))
    .map((n) => ({ n, at: statSync(join(dir, n)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { n } of entries.slice(KEEP)) rmSync(join(dir, n), { force: true });
}
