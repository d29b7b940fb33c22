// The flows the design was accepted on: one large upload read back byte for byte, an image with
// its derivatives, four files in parallel, and the two-lane four-asset flow.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  beginUpload,
  chunksOf,
  finishUpload,
  hex,
  okOf,
  readBlob,
  sha256,
  testBytes,
  uploadFile,
  uploadPerFile,
  type UploadSpec
} from '../support/upload.js';


const canister = uploadPerFile();

/** An image and its derivatives, made the way the client makes them (sharp). */
async function imageWithDerivatives(seed: number): Promise<Record<string, Uint8Array>> {
  const width = 640;
  const height = 480;
  const pixels = testBytes(width * height * 3, seed);
  const source = sharp(Buffer.from(pixels), { raw: { width, height, channels: 3 } });
  const original = await source.clone().jpeg({ quality: 90 }).toBuffer();
  return {
    original: new Uint8Array(original),
    display: new Uint8Array(await sharp(original).resize(320).webp().toBuffer()),
    thumb: new Uint8Array(await sharp(original).resize(96).webp().toBuffer()),
    placeholder: new Uint8Array(await sharp(original).resize(16).webp().toBuffer())
  };
}

/** Sends every upload's chunks interleaved: chunk 0 of each, then chunk 1 of each, ... concurrently. */
async function interleaved(specs: UploadSpec[]) {
  const begun = await Promise.all(specs.map((spec) => beginUpload(canister.actor, spec)));
  const chunks = specs.map((spec) => chunksOf(spec.data, spec.chunkSize));
  const rounds = Math.max(...chunks.map((c) => c.length));
  for (let index = 0; index < rounds; index++) {
    await Promise.all(
      specs.map(async (_, u) => {
        if (index >= chunks[u].length) return;
        okOf(await canister.actor.put_chunk({ upload_id: begun[u].upload_id, index, bytes: chunks[u][index] }));
      })
    );
  }
  return Promise.all(begun.map((b) => finishUpload(canister.pic, canister.actor, b.upload_id, [])));
}

describe('a single 21 MB upload', () => {
  it('is read back byte for byte with the client digest', async () => {
    const data = testBytes(21_000_000, 21);
    const blob = await uploadFile(canister.pic, canister.actor, { assetId: 'big', data, chunkSize: 2_000_000 });
    const digest = sha256(data);
    expect(hex(blob.sha256)).toBe(hex(digest));
    expect(blob.size).toBe(21_000_000n);
    expect(blob.chunk_count).toBe(11);
    const back = await readBlob(canister.actor, blob);
    expect(Buffer.compare(Buffer.from(back), Buffer.from(data))).toBe(0);
    expect(hex(sha256(back))).toBe(hex(digest));
  });
});

describe('an image with derivatives', () => {
  it('stores original, display, thumb and placeholder as variants of one asset', async () => {
    const files = await imageWithDerivatives(7);
    for (const [variant, data] of Object.entries(files)) {
      await uploadFile(canister.pic, canister.actor, {
        assetId: 'photo-1',
        variant,
        data,
        chunkSize: 64 * 1024,
        contentType: variant === 'original' ? 'image/jpeg' : 'image/webp'
      });
    }
    const asset = okOf(await canister.actor.get_asset('photo-1'));
    expect(asset.variants.map(([name]) => name)).toEqual(['display', 'original', 'placeholder', 'thumb']);
    for (const [variant, info] of asset.variants) {
      expect(hex(info.sha256)).toBe(hex(sha256(files[variant])));
      expect(hex(await readBlob(canister.actor, info))).toBe(hex(files[variant]));
    }
    const thumb = await sharp(Buffer.from(await readBlob(canister.actor, asset.variants[3][1]))).metadata();
    expect(thumb.width).toBe(96);
  });
});

describe('parallel uploads', () => {
  it('four files uploaded by interleaved calls are each intact', async () => {
    const specs = [0, 1, 2, 3].map((i) => ({
      assetId: `parallel-${i}`,
      data: testBytes(700_000 + i * 123_457, 100 + i),
      chunkSize: 250_000
    }));
    const blobs = await interleaved(specs);
    for (const [i, blob] of blobs.entries()) {
      expect(blob.asset_id).toBe(`parallel-${i}`);
      expect(hex(blob.sha256)).toBe(hex(sha256(specs[i].data)));
      expect(hex(await readBlob(canister.actor, blob))).toBe(hex(specs[i].data));
    }
    expect(new Set(blobs.map((b) => b.blob_id)).size).toBe(4);
  });

  it('the two-lane, four-asset flow: originals in one lane, derivatives in another', async () => {
    const images = await Promise.all([0, 1, 2, 3].map((i) => imageWithDerivatives(200 + i)));
    const originals = images.map((files, i) => ({ assetId: `lane-${i}`, variant: 'original', data: files.original, chunkSize: 100_000 }));
    const derivatives = images.flatMap((files, i) =>
      (['display', 'thumb', 'placeholder'] as const).map((variant) => ({
        assetId: `lane-${i}`,
        variant,
        data: files[variant],
        chunkSize: 100_000
      }))
    );
    const lane = async (specs: UploadSpec[]) => {
      for (const spec of specs) await uploadFile(canister.pic, canister.actor, spec);
    };
    await Promise.all([lane(originals), lane(derivatives)]);
    for (const [i, files] of images.entries()) {
      const asset = okOf(await canister.actor.get_asset(`lane-${i}`));
      expect(asset.variants.map(([name]) => name)).toEqual(['display', 'original', 'placeholder', 'thumb']);
      for (const [variant, info] of asset.variants) {
        expect(hex(await readBlob(canister.actor, info))).toBe(hex(files[variant as keyof typeof files]));
      }
    }
  });
});
