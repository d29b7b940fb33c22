// A ByteSource over a file on disk: range reads through one open handle, nothing held in memory.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { contentTypeFor } from '../bytes.js';
import type { ByteSource } from '../types.js';

export interface FileSource extends ByteSource {
  readonly path: string;
}

export async function fileSource(path: string, name = basename(path)): Promise<FileSource> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path} is not a regular file`);
  let handle: Promise<FileHandle> | undefined;
  return {
    path,
    name,
    size: info.size,
    type: contentTypeFor(name),
    lastModified: Math.trunc(info.mtimeMs),
    async read(start, end) {
      handle ??= open(path, 'r');
      const fh = await handle;
      const buffer = new Uint8Array(end - start);
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await fh.read(buffer, filled, buffer.length - filled, start + filled);
        if (bytesRead === 0) break; // the file shrank: the caller notices the short read
        filled += bytesRead;
      }
      return filled === buffer.length ? buffer : buffer.subarray(0, filled);
    },
    async close() {
      const h = handle;
      handle = undefined;
      if (h) await (await h).close();
    }
  };
}
