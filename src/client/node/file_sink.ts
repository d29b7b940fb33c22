// A download sink that writes to `<path>.partial` and renames it into place only after the bytes
// are verified, so a file at `path` is always a complete, verified copy.
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import type { DownloadSink } from '../download.js';

export function fileSink(path: string): DownloadSink {
  const partial = `${path}.partial`;
  let handle: FileHandle | undefined;
  return {
    async write(bytes) {
      handle ??= await open(partial, 'w');
      await handle.write(bytes);
    },
    async commit() {
      handle ??= await open(partial, 'w'); // an empty blob still makes a file
      await handle.close();
      handle = undefined;
      await rename(partial, path);
    },
    async discard() {
      await handle?.close().catch(() => undefined);
      handle = undefined;
      await rm(partial, { force: true });
    }
  };
}

/** A sink writing straight to a stream (stdout): verification failure is reported after the fact. */
export function streamSink(stream: NodeJS.WritableStream): DownloadSink {
  return {
    write: (bytes) =>
      new Promise((resolve, reject) => {
        stream.write(bytes, (error) => (error ? reject(error) : resolve()));
      }),
    commit: async () => undefined,
    discard: async () => undefined
  };
}
