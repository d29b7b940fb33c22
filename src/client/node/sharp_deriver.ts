// Image derivatives with sharp: decode once, honour EXIF orientation, fit inside the longest side
// without enlarging, encode WebP (all current browsers show it; far smaller than JPEG/PNG).
import type SharpModule from 'sharp';
import type { DerivativeSpec, DerivedImage, ImageDeriver } from '../derivatives.js';
import { isRasterImage } from '../derivatives.js';
import type { ByteSource } from '../types.js';

async function input(source: ByteSource): Promise<string | Uint8Array> {
  const path = (source as { path?: unknown }).path;
  if (typeof path === 'string') return path;
  return source.read(0, source.size);
}

/** Thrown when image derivatives are asked for and sharp (an optional peer dependency) is not installed. */
export class SharpMissingError extends Error {
  constructor(cause: unknown) {
    super('image derivatives need sharp: npm install sharp', { cause });
    this.name = 'SharpMissingError';
  }
}

// sharp is loaded on first use: it is a native module of some 30 MB that only derivatives need,
// so `ic-upload/node` loads (and installs) without it.
let loading: Promise<typeof SharpModule> | undefined;
function loadSharp(): Promise<typeof SharpModule> {
  loading ??= import('sharp').then(
    (m) => m.default,
    (error: unknown) => {
      loading = undefined;
      throw new SharpMissingError(error);
    }
  );
  return loading;
}

export const sharpDeriver: ImageDeriver = {
  canDerive: isRasterImage,
  async derive(source: ByteSource, specs: readonly DerivativeSpec[]): Promise<DerivedImage[]> {
    const sharp = await loadSharp();
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
