// Chunk geometry and small byte helpers shared by upload and download.
import type { ByteSource } from './types.js';

/** The IC refuses ingress messages over 2 MiB; the canister's default `max_chunk_bytes` is 2,000,000.
 * 1.9 MB of chunk leaves ample room for the Candid and envelope overhead of a put_chunk call. */
export const DEFAULT_CHUNK_SIZE = 1_900_000;
export const MAX_CHUNK_SIZE = 2_000_000;

export function chunkRange(index: number, chunkSize: number, size: number): [number, number] {
  const start = index * chunkSize;
  return [start, Math.min(size, start + chunkSize)];
}

/** A ByteSource over bytes already in memory (derivatives, tests, small browser inputs). */
export function memorySource(bytes: Uint8Array, name: string, type = 'application/octet-stream', lastModified?: number): ByteSource {
  return {
    name,
    type,
    size: bytes.length,
    lastModified,
    read: async (start, end) => bytes.subarray(start, end)
  };
}

const CONTENT_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  svg: 'image/svg+xml',
  txt: 'text/plain',
  md: 'text/markdown',
  html: 'text/html',
  css: 'text/css',
  js: 'text/javascript',
  json: 'application/json',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mp3: 'audio/mpeg',
  wav: 'audio/wav'
};

/** What bytes of no known type are (RFC 2046 §4.5.1): stored rather than an empty content type. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** Guesses a MIME type from a file name; application/octet-stream when unknown. */
export function contentTypeFor(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return (dot < 0 ? undefined : CONTENT_TYPES[fileName.slice(dot + 1).toLowerCase()]) ?? DEFAULT_CONTENT_TYPE;
}
