import { describe, expect, it } from 'vitest';
import * as browser from '../../../src/client/browser/index.js';
import * as node from '../../../src/client/node/index.js';
import { FakeUploadService } from '../../support/fake_upload_service.js';
import { bytes, fakeClock } from './helpers.js';

describe('platform entries', () => {
  it('export the engine and the platform defaults under the same names', () => {
    const shared = ['Uploader', 'defaultJournal', 'defaultDeriver', 'downloadAsset', 'downloadBlob', 'MemoryJournal', 'UploadError', 'ServiceError', 'isTransient'];
    for (const name of shared) {
      expect(typeof (node as Record<string, unknown>)[name], `node ${name}`).not.toBe('undefined');
      expect(typeof (browser as Record<string, unknown>)[name], `browser ${name}`).not.toBe('undefined');
    }
    expect(node.Uploader).toBe(browser.Uploader); // one engine
  });

  it('uploads a Blob through blobSource, reading ranges only', async () => {
    const data = bytes(5_555, 12);
    const file = new File([data as Uint8Array<ArrayBuffer>], 'photo.bin', { type: 'application/x-test', lastModified: 123 });
    const source = browser.blobSource(file);
    expect([source.name, source.size, source.type, source.lastModified]).toEqual(['photo.bin', 5_555, 'application/x-test', 123]);
    expect(await source.read(100, 200)).toEqual(data.subarray(100, 200));
    const fake = new FakeUploadService();
    await new browser.Uploader({ actor: fake, chunkSize: 1000, clock: fakeClock() }).upload({ source });
    expect((await browser.downloadAsset(fake, 'photo.bin')).bytes).toEqual(data);
    expect(browser.blobSource(new Blob([data as Uint8Array<ArrayBuffer>]), 'x.png').type).toBe('image/png');
  });

  it('stores application/octet-stream, never an empty content type, for bytes of no known type', async () => {
    const fake = new FakeUploadService();
    const uploader = new node.Uploader({ actor: fake, chunkSize: 1000, clock: fakeClock() });
    const untyped = browser.blobSource(new Blob([bytes(10, 1) as Uint8Array<ArrayBuffer>]), 'data.xyz');
    expect(untyped.type).toBe('application/octet-stream');
    const custom = { ...node.memorySource(bytes(10, 2), 'custom'), type: '' }; // a source that knows nothing
    const file = await node.fileSource(new URL(import.meta.url).pathname.replace(/platforms\.test\.ts$/, 'helpers.ts'));
    const outcomes = await uploader.uploadAll([{ source: untyped }, { source: custom }, { source: file, assetId: 'helpers' }]);
    const types = outcomes.map((o) => o.variants.original?.content_type);
    expect(types).toEqual(['application/octet-stream', 'application/octet-stream', 'application/octet-stream']); // .ts has no entry
    expect(node.contentTypeFor('README')).toBe('application/octet-stream');
    expect(node.contentTypeFor('a.JPG')).toBe('image/jpeg');
  });
});
