import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileJournal, memorySource, stateDir, Uploader } from '../../../src/client/node/index.js';
import { FakeUploadService, withFaults } from '../../support/fake_upload_service.js';
import { bytes, fakeClock } from './helpers.js';

const entry = { uploadId: '12345678901234567890', assetId: 'a', variant: 'original', size: 10, chunkSize: 5, createdAt: 1 };

describe('FileJournal', () => {
  it('persists entries across instances, with upload ids beyond 2^53 intact', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'ic-upload-journal-')), 'sub', 'journal.json');
    const a = new FileJournal(path);
    await Promise.all([a.set('fp1', entry), a.set('fp2', { ...entry, assetId: 'b' })]);
    await a.delete('fp2');
    const b = new FileJournal(path);
    expect(await b.entries()).toEqual([['fp1', entry]]);
    expect(JSON.parse(await readFile(path, 'utf8')).version).toBe(1);
  });

  it('treats a corrupt file or malformed entries as empty rather than failing', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'ic-upload-journal-')), 'journal.json');
    await writeFile(path, '{ not json');
    expect(await new FileJournal(path).entries()).toEqual([]);
    await writeFile(path, JSON.stringify({ version: 1, uploads: { ok: entry, bad: { uploadId: 7 } } }));
    expect(await new FileJournal(path).entries()).toEqual([['ok', entry]]);
  });

  it('resumes through a file journal after the process "dies"', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'ic-upload-journal-')), 'journal.json');
    const fake = new FakeUploadService();
    const data = bytes(5_000, 4);
    const dying = withFaults(fake, (m, n) => (m === 'put_chunk' && n === 3 ? new Error('SIGKILL') : undefined));
    await new Uploader({ actor: dying, journal: new FileJournal(path), chunkSize: 1000, clock: fakeClock(), concurrency: { chunks: 1 } })
      .upload({ source: memorySource(data, 'f', '', 99) })
      .catch(() => undefined);
    await new Uploader({ actor: fake, journal: new FileJournal(path), chunkSize: 1000, clock: fakeClock() }).upload({ source: memorySource(data, 'f', '', 99) });
    expect(fake.count('put_chunk')).toBe(2 + 3);
    expect(fake.count('begin')).toBe(1);
  });

  it('lives under XDG_STATE_HOME or ~/.local/state', () => {
    expect(stateDir({ XDG_STATE_HOME: '/x/state' })).toBe('/x/state/ic-upload');
    expect(stateDir({ HOME: '/home/u' })).toMatch(/\.local\/state\/ic-upload$/);
    expect(stateDir({ IC_UPLOAD_STATE_DIR: '/y' })).toBe('/y');
  });
});
