import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { downloadBlob, fileSink, IntegrityError, memorySource, resolveVariant, ServiceError, Uploader } from '../../../src/client/node/index.js';
import { FakeUploadService, withFaults } from '../../support/fake_upload_service.js';
import { bytes, fakeClock } from './helpers.js';

async function stored(size: number) {
  const fake = new FakeUploadService();
  const data = bytes(size, 21);
  await new Uploader({ actor: fake, chunkSize: 1000, clock: fakeClock() }).upload({ source: memorySource(data, 'd.bin'), assetId: 'd' });
  return { fake, data };
}

describe('downloads', () => {
  it('reads chunks in parallel and writes the file only after verification', async () => {
    const { fake, data } = await stored(9_500);
    let active = 0;
    let peak = 0;
    const slow = withFaults(fake, () => undefined);
    const probe = new Proxy(slow, {
      get(t, p, r) {
        const fn = Reflect.get(t, p, r);
        if (p !== 'read_chunk') return fn;
        return async (...args: unknown[]) => {
          peak = Math.max(peak, ++active);
          await new Promise((res) => setTimeout(res, 2));
          active--;
          return (fn as (...a: unknown[]) => unknown).apply(t, args);
        };
      }
    });
    const dir = await mkdtemp(join(tmpdir(), 'ic-upload-dl-'));
    const out = join(dir, 'd.bin');
    const blob = await resolveVariant(fake, 'd');
    await downloadBlob(probe, blob, fileSink(out), { concurrency: 4 });
    expect(new Uint8Array(await readFile(out))).toEqual(data);
    expect(peak).toBe(4);
    expect(fake.count('read_chunk')).toBe(10);
  });

  it('refuses bytes that do not match the blob digest, leaving no file behind', async () => {
    const { fake } = await stored(3_000);
    const corrupt = withFaults(fake, () => undefined);
    const tampering = new Proxy(corrupt, {
      get(t, p, r) {
        const fn = Reflect.get(t, p, r) as (...a: unknown[]) => Promise<{ Ok: Uint8Array }>;
        if (p !== 'read_chunk') return fn;
        return async (...args: unknown[]) => {
          const answer = await fn.apply(t, args);
          if (args[1] === 1) answer.Ok[10] ^= 1;
          return answer;
        };
      }
    });
    const dir = await mkdtemp(join(tmpdir(), 'ic-upload-dl-'));
    const blob = await resolveVariant(fake, 'd');
    const error = await downloadBlob(tampering, blob, fileSink(join(dir, 'd.bin'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as IntegrityError).expected).toMatch(/^sha256 [0-9a-f]{64}$/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('names a missing variant and a missing asset as ServiceErrors', async () => {
    const { fake } = await stored(10);
    await expect(resolveVariant(fake, 'd', 'thumb')).rejects.toThrow(/has no variant thumb/);
    const e = await resolveVariant(fake, 'nope').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ServiceError);
    expect((e as ServiceError).code).toBe('NotFound');
  });
});
