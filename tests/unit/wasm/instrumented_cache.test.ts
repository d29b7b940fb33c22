// Instrumented modules kept on disk: a second preparation in a fresh process reads the entry
// instead of instrumenting again and gets the same bytes; an entry altered on disk is ignored and
// written again; metered and unmetered instrumentations of one module never share an entry.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { instrumentWasm } from '../../../src/replica/wasm/instrument.js';
import { readInstrumented, writeInstrumented } from '../../../src/replica/wasm/instrumented_cache.js';
import { prepareWasm } from '../../../src/replica/wasm/prepare.js';
import { assemble, op, type ModuleSpec } from './assemble.js';

const spec: ModuleSpec = { globals: [5], funcs: [{ export: 'f', results: [0x7f], body: [op.i32_const, 7] }] };

describe('instrumented Wasm cache', () => {
  it('hands back what was written, ignores an altered entry, keeps metered and plain apart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'icu-wasm-cache-'));
    try {
      const wasm = assemble(spec);
      const hash = createHash('sha256').update(wasm).digest('hex');
      expect(readInstrumented(dir, hash, true)).toBeUndefined();
      const metered = instrumentWasm(wasm, { metering: true });
      writeInstrumented(dir, hash, true, metered);
      const back = readInstrumented(dir, hash, true)!;
      expect(Buffer.from(back.bytes).equals(Buffer.from(metered.bytes))).toBe(true);
      expect(back.globalExports).toEqual(metered.globalExports);
      expect(back.metered).toBe(true);
      expect(readInstrumented(dir, hash, false)).toBeUndefined();

      const [name] = readdirSync(dir);
      const bytes = readFileSync(join(dir, name!));
      bytes[bytes.length - 3]! ^= 0x40;
      writeFileSync(join(dir, name!), bytes);
      expect(readInstrumented(dir, hash, true)).toBeUndefined();

      // prepareWasm with the folder writes the entry again, and the module it compiles runs.
      const prepared = prepareWasm(wasm.slice(), { metering: false, cacheDir: dir });
      expect(readInstrumented(dir, hash, false)).toBeDefined();
      const instance = new WebAssembly.Instance(prepared.module, {});
      expect((instance.exports.f as () => number)()).toBe(7);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
