// `ic-upload get <asset> [--variant v] [-o path]`: parallel, verified download.
import { stat } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { downloadBlob, resolveVariant } from '../../client/download.js';
import { fileSink, streamSink } from '../../client/node/file_sink.js';
import type { GlobalOptions } from '../config.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_OK } from '../errors.js';
import { blobJson, formatBytes, json } from '../output.js';
import { downloadProgress } from '../progress_view.js';
import { toHex } from '../../shared/bytes.js';

export interface GetOptions extends GlobalOptions {
  variant: string;
  output?: string;
  /** Overwrite an existing file. */
  force?: boolean;
}

/** Where `get` writes: -o as given (relative to cwd), `-` for stdout, else the stored file name. */
export function outputPath(cwd: string, fileName: string, assetId: string, output?: string): string | '-' {
  if (output === '-') return '-';
  if (output) return isAbsolute(output) ? output : join(cwd, output);
  return join(cwd, storedName(fileName, assetId));
}

function storedName(fileName: string, assetId: string): string {
  return basename(fileName || assetId) || 'download';
}

/** {@link outputPath}, except that `-o <directory>` (or a path ending in `/`) writes into it under the stored name, as `cp` does. */
export async function resolveOutput(cwd: string, fileName: string, assetId: string, output?: string): Promise<string | '-'> {
  const path = outputPath(cwd, fileName, assetId, output);
  if (path === '-' || output === undefined) return path;
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory()) return join(path, storedName(fileName, assetId));
  if (/[\\/]$/.test(output)) throw new CliError(`-o ${output}: no such directory`);
  return path;
}

export async function get(ctx: CliContext, assetId: string, options: GetOptions): Promise<number> {
  const connection = await ctx.resolve(options);
  const { actor } = await ctx.connect(connection);
  const blob = await resolveVariant(actor, assetId, options.variant);
  const target = await resolveOutput(ctx.cwd, blob.file_name, assetId, options.output);
  if (target !== '-' && !options.force && (await stat(target).catch(() => undefined))) {
    throw new CliError(`${target} already exists: pass --force to overwrite it`);
  }
  const progress = downloadProgress(options.json ? 'none' : ctx.isTTY ? 'bars' : 'lines', ctx.stderr, assetId);
  try {
    await downloadBlob(actor, blob, target === '-' ? streamSink(ctx.stdout) : fileSink(target), { onProgress: (bytes, total) => progress.update(bytes, total) });
  } finally {
    progress.stop();
  }
  const report = target === '-' ? ctx.stderr : ctx.stdout;
  if (options.json) report.write(json({ ok: true, ...blobJson(blob), path: target }));
  else report.write(`${target === '-' ? 'wrote' : `saved ${target}:`} ${formatBytes(blob.size)}, sha256 ${toHex(blob.sha256).slice(0, 16)} verified\n`);
  return EXIT_OK;
}
