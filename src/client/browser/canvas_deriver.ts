// Image derivatives in the browser: createImageBitmap decodes (honouring EXIF orientation),
// an OffscreenCanvas (or a <canvas>) resizes, and WebP is encoded where supported.
import { fitInside, isRasterImage, type DerivativeSpec, type DerivedImage, type ImageDeriver } from '../derivatives.js';
import type { ByteSource } from '../types.js';
import type { BlobSource } from './blob_source.js';

type Canvas2D = OffscreenCanvas | HTMLCanvasElement;

function makeCanvas(width: number, height: number): Canvas2D {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(width, height);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

async function encode(canvas: Canvas2D, quality: number): Promise<Blob> {
  const options = { type: 'image/webp', quality: quality / 100 };
  if ('convertToBlob' in canvas) return canvas.convertToBlob(options);
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('canvas could not encode the image'))), options.type, options.quality)
  );
}

async function asBlob(source: ByteSource): Promise<Blob> {
  const blob = (source as Partial<BlobSource>).blob;
  if (blob instanceof Blob) return blob;
  const bytes = await source.read(0, source.size);
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: source.type });
}

export const canvasDeriver: ImageDeriver = {
  canDerive: isRasterImage,
  async derive(source: ByteSource, specs: readonly DerivativeSpec[]): Promise<DerivedImage[]> {
    const bitmap = await createImageBitmap(await asBlob(source), { imageOrientation: 'from-image' });
    try {
      const out: DerivedImage[] = [];
      for (const spec of specs) {
        const { width, height } = fitInside(bitmap.width, bitmap.height, spec.maxSide);
        const canvas = makeCanvas(width, height);
        const context = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
        if (!context) throw new Error('no 2d canvas context');
        context.imageSmoothingQuality = 'high';
        context.drawImage(bitmap, 0, 0, width, height);
        const blob = await encode(canvas, spec.quality);
        // Safari may fall back to PNG: the blob's type says what was really encoded.
        out.push({ variant: spec.variant, bytes: new Uint8Array(await blob.arrayBuffer()), contentType: blob.type || 'image/png', width, height });
      }
      return out;
    } finally {
      bitmap.close();
    }
  }
};
