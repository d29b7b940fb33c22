// Image derivatives: smaller renditions made on the client and uploaded beside the original into
// the same asset. The engine sees only this interface; sharp (Node) and canvas (browser) fill it in.
import type { ByteSource } from './types.js';

export interface DerivativeSpec {
  variant: string;
  /** Longest side in pixels; images already smaller are never enlarged. */
  maxSide: number;
  /** Encoder quality, 1–100. */
  quality: number;
}

export const DEFAULT_DERIVATIVES: readonly DerivativeSpec[] = [
  { variant: 'display', maxSide: 1600, quality: 82 },
  { variant: 'thumb', maxSide: 320, quality: 76 },
  { variant: 'placeholder', maxSide: 32, quality: 50 }
];

export interface DerivedImage {
  variant: string;
  bytes: Uint8Array;
  contentType: string;
  width: number;
  height: number;
}

export interface ImageDeriver {
  /** Whether this source is an image the deriver can decode (by type or name). */
  canDerive(source: ByteSource): boolean;
  /** Decodes once and renders every spec. */
  derive(source: ByteSource, specs: readonly DerivativeSpec[]): Promise<DerivedImage[]>;
}

const RASTER_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/tiff']);

export function isRasterImage(source: ByteSource): boolean {
  if (RASTER_TYPES.has(source.type)) return true;
  return /\.(jpe?g|png|webp|gif|avif|tiff?)$/i.test(source.name);
}

/** Fits (width, height) inside maxSide × maxSide, keeping the aspect ratio, never upscaling. */
export function fitInside(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** `photo.jpg` + `thumb` → `photo.thumb.webp`. */
export function derivativeFileName(original: string, variant: string, contentType: string): string {
  const ext = contentType.split('/')[1]?.replace('jpeg', 'jpg') ?? 'bin';
  const dot = original.lastIndexOf('.');
  const stem = dot > 0 ? original.slice(0, dot) : original;
  return `${stem}.${variant}.${ext}`;
}
