import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { downloadAsset, fileSource, memorySource, sharpDeriver, Uploader } from '../../../src/client/node/index.js';
import { fitInside, derivativeFileName } from '../../../src/client/derivatives.js';
import { dimensions, landscapeJpeg, portraitPng } from '../../fixtures/images.js';
import { FakeUploadService } from '../../support/fake_upload_service.js';
import { fakeClock } from './helpers.js';

describe('image derivatives', () => {
  it('fits inside the longest side and never enlarges', () => {
    expect(fitInside(2400, 1200, 1600)).toEqual({ width: 1600, height: 800 });
    expect(fitInside(500, 800, 1600)).toEqual({ width: 500, height: 800 });
    expect(fitInside(500, 800, 32)).toEqual({ width: 20, height: 32 });
    expect(fitInside(10000, 1, 32)).toEqual({ width: 32, height: 1 });
    expect(derivativeFileName('dir.v2/photo.jpg', 'thumb', 'image/webp')).toBe('dir.v2/photo.thumb.webp');
  });

  it('makes display, thumb and placeholder of a real JPEG and PNG at the right sizes, uploaded into the same asset', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ic-upload-deriv-'));
    const jpegPath = join(dir, 'landscape.jpg');
    const pngPath = join(dir, 'portrait.png');
    const [jpeg, png] = await Promise.all([landscapeJpeg(), portraitPng()]);
    await writeFile(jpegPath, jpeg);
    await writeFile(pngPath, png);
    const fake = new FakeUploadService();
    const uploader = new Uploader({ actor: fake, deriver: sharpDeriver, clock: fakeClock(), chunkSize: 64 * 1024 });
    const outcomes = await uploader.uploadAll([{ source: await fileSource(jpegPath) }, { source: await fileSource(pngPath) }]);
    expect(outcomes.map((o) => [o.status, Object.keys(o.variants).sort()])).toEqual([
      ['finished', ['display', 'original', 'placeholder', 'thumb']],
      ['finished', ['display', 'original', 'placeholder', 'thumb']]
    ]);
    const expected = {
      'landscape.jpg': { display: [1600, 800], thumb: [320, 160], placeholder: [32, 16] },
      'portrait.png': { display: [500, 800], thumb: [200, 320], placeholder: [20, 32] }
    } as const;
    for (const [asset, sizes] of Object.entries(expected)) {
      const original = await downloadAsset(fake, asset, 'original');
      expect(original.bytes).toEqual(asset.endsWith('.jpg') ? jpeg : png);
      for (const [variant, [w, h]] of Object.entries(sizes)) {
        const { bytes, blob } = await downloadAsset(fake, asset, variant);
        expect(await dimensions(bytes)).toEqual({ width: w, height: h, format: 'webp' });
        expect(blob.content_type).toBe('image/webp');
        expect(blob.asset_id).toBe(asset);
      }
    }
  });

  it('uploads a file that claims to be an image but does not decode, with a warning', async () => {
    const fake = new FakeUploadService();
    const uploader = new Uploader({ actor: fake, deriver: sharpDeriver, clock: fakeClock() });
    const [outcome] = await uploader.uploadAll([{ source: memorySource(new TextEncoder().encode('not a png'), 'fake.png', 'image/png') }]);
    expect(outcome!.status).toBe('finished');
    expect(Object.keys(outcome!.variants)).toEqual(['original']);
    expect(outcome!.warnings[0]).toMatch(/no derivatives for fake\.png/);
  });

  it('makes no derivatives when told not to', async () => {
    const fake = new FakeUploadService();
    const uploader = new Uploader({ actor: fake, deriver: sharpDeriver, derivatives: false, clock: fakeClock() });
    const variants = await uploader.upload({ source: memorySource(await portraitPng(), 'p.png', 'image/png') });
    expect(Object.keys(variants)).toEqual(['original']);
  });
});
