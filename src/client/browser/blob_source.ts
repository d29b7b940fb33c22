// A ByteSource over a browser Blob or File: `slice` reads a range without loading the rest.
import { contentTypeFor } from '../bytes.js';
import type { ByteSource } from '../types.js';

export interface BlobSource extends ByteSource {
  readonly blob: Blob;
}

export function blobSource(blob: Blob, name?: string): BlobSource {
  const file = blob as Partial<File>;
  const fileName = name ?? file.name ?? 'blob';
  return {
    blob,
    name: fileName,
    size: blob.size,
    type: blob.type || contentTypeFor(fileName),
    lastModified: file.lastModified,
    read: async (start, end) => new Uint8Array(await blob.slice(start, end).arrayBuffer())
  };
}
