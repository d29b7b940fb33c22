// Image derivatives with sharp: decode once, honour EXIF orientation, fit inside the longest side
// without enlarging, encode WebP (all current browsers show it; far smaller than JPEG/PNG).
import sharp from 'sharp';
import type { DerivativeSpec, DerivedImage, ImageDeriver } from '../derivatives.js';
import { isRasterImage } from '../derivatives.js';
import type { ByteSource } from '../types.js';

async function input(source: ByteSource): Promise<string | Uint8Array> {
  const path = (source as { path?: unknown }).path;
  if (typeof path === 'string') return path;
  return source.read(0, source.size);
}

export const sharpDeriver: ImageDeriver = {
  canDerive: isRasterImage,
  async derive(source: ByteSource, specs: readonly DerivativeSpec[]): Promise<DerivedImage[]> {
    const base = sharp(await input(source), { failOn: 'error' }).rotate();
    await base.metadata(); // fails fast on undecodable input
    return Promise.all(
      specs.map(async (spec) => {
        const { data, info } = await base
          .clone()
          .resize({ width: spec.maxSide, height: spec.maxSide, fit: 'inside', withoutEnlargement: true })
          .webp({ quality: spec.quality })
          .toBuffer({ resolveWithObject: true });
        return {
          variant: spec.variant,
          bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
          contentType: 'image/webp',
          width: info.width,
          height: info.height
        };
      })
    );
  }
};
