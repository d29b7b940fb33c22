// The input log: entries come back as written; a last record a kill cut short is dropped (it was
// never fsync'd, so no call it carried was answered); a flipped byte anywhere else is refused
// with a DamagedStateError naming the file.
import { mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputLog, type InputEntry } from '../../../src/replica/input_log.js';
import { DamagedStateError, WrittenBytes } from '../../../src/replica/state_files.js';

const entries: InputEntry[] = [
  { k: 'submit', id: new Uint8Array(32).fill(1), call: { sender: Uint8Array.of(4), canisterId: Uint8Array.of(1, 2), method: 'put_chunk', payload: new Uint8Array(5000).fill(9) } },
  { k: 'round', time: 1_700_000_000_000_000_123n, random: [new Uint8Array(32).fill(7)], changes: 1 },
  { k: 'accepted', id: 'ab'.repeat(32), sender: Uint8Array.of(4), receiver: Uint8Array.of(1, 2), expiry: 1_700_000_300_000_000_000n }
];

function written(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'input-'));
  const log = InputLog.create(dir, 'input-x.log', new WrittenBytes());
  for (const e of entries) log.append(e);
  log.flush();
  log.close();
  return { dir, path: join(dir, 'input-x.log') };
}

describe('input log', () => {
  it('reads back what was flushed', () => {
    const { dir, path } = written();
    const { entries: back, validBytes } = InputLog.read(dir, 'input-x.log');
    expect(validBytes).toBe(statSync(path).size);
    expect(back.map((e) => e.k)).toEqual(['submit', 'round', 'accepted']);
    const round = back[1] as Extract<InputEntry, { k: 'round' }>;
    expect(BigInt(round.time)).toBe(1_700_000_000_000_000_123n);
    expect(Buffer.from(round.random[0]!)).toEqual(Buffer.alloc(32, 7));
    expect((back[0] as Extract<InputEntry, { k: 'submit' }>).call.payload.length).toBe(5000);
  });

  it('drops a last record cut short, and resumes after the intact ones', () => {
    const { dir, path } = written();
    truncateSync(path, statSync(path).size - 10);
    const { entries: back, validBytes } = InputLog.read(dir, 'input-x.log');
    expect(back.map((e) => e.k)).toEqual(['submit', 'round']);
    const log = InputLog.resume(dir, 'input-x.log', new WrittenBytes(), validBytes);
    log.append(entries[2]!);
    log.flush();
    log.close();
    expect(InputLog.read(dir, 'input-x.log').entries.map((e) => e.k)).toEqual(['submit', 'round', 'accepted']);
  });

  it('refuses a flipped byte, naming the file', () => {
    const { dir, path } = written();
    const bytes = readFileSync(path);
    bytes[100] ^= 0xff; // inside the first record's payload
    writeFileSync(path, bytes);
    let error: unknown;
    try {
      InputLog.read(dir, 'input-x.log');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DamagedStateError);
    expect([(error as DamagedStateError).file, (error as DamagedStateError).damage]).toEqual([path, 'checksum']);
  });
});
