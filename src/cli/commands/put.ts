// `ic-upload put <paths…>`: files and directories (expanded recursively) into assets.
import { readdir, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, sep } from 'node:path';
import { fileSource } from '../../client/node/file_source.js';
import { Uploader, type UploadItem } from '../../client/uploader.js';
import type { GlobalOptions } from '../config.js';
import type { CliContext } from '../context.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../errors.js';
import { json, outcomeJson, outcomeLine, putSummary } from '../output.js';
import { progressView } from '../progress_view.js';

export interface PutOptions extends GlobalOptions {
  concurrency: number;
  chunkConcurrency: number;
  derivatives: boolean;
  prefix?: string;
  /** The uploads make their assets public (BeginArgs.public); absent leaves visibility as it is. */
  public?: boolean;
}

export interface InputFile {
  path: string;
  assetId: string;
}

const toPosix = (p: string) => p.split(sep).join('/');

/**
 * Expands the arguments into files with their asset ids: a file argument is named by its base
 * name, a file found under a directory argument by `<dir name>/<path inside it>`.
 */
export async function expandInputs(paths: string[], cwd: string, prefix = ''): Promise<InputFile[]> {
  const out: InputFile[] = [];
  const pre = prefix ? `${prefix.replace(/\/+$/, '')}/` : '';
  for (const arg of paths) {
    const abs = isAbsolute(arg) ? arg : join(cwd, arg);
    const info = await stat(abs);
    if (info.isFile()) {
      out.push({ path: abs, assetId: pre + basename(abs) });
    } else if (info.isDirectory()) {
      const root = basename(abs.replace(/\/+$/, '')) || 'root';
      for (const file of await walk(abs)) out.push({ path: file, assetId: pre + toPosix(join(root, relative(abs, file))) });
    } else {
      throw new UsageError(`${arg} is neither a file nor a directory`);
    }
  }
  const seen = new Map<string, string>();
  for (const f of out) {
    const other = seen.get(f.assetId);
    if (other && other !== f.path) throw new UsageError(`${other} and ${f.path} would both be stored as asset ${f.assetId}`);
    seen.set(f.assetId, f.path);
  }
  return out.filter((f, i) => out.findIndex((g) => g.path === f.path) === i);
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const files: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files.push(...(await walk(p)));
    else if (e.isFile()) files.push(p);
  }
  return files;
}

export async function put(ctx: CliContext, paths: string[], options: PutOptions): Promise<number> {
  const inputs = await expandInputs(paths, ctx.cwd, options.prefix);
  if (inputs.length === 0) throw new UsageError('no files to upload');
  const connection = await ctx.resolve(options);
  const connected = await ctx.connect(connection);
  if (connected.createdIdentity && !options.json) ctx.stderr.write(`created identity ${connected.principal} in ${connected.createdIdentity}\n`);
  const items: UploadItem[] = await Promise.all(inputs.map(async (f) => ({ source: await fileSource(f.path), assetId: f.assetId, public: options.public ? true : undefined })));
  const uploader = new Uploader({
    actor: connected.actor,
    journal: ctx.journal(connection),
    journalNamespace: connected.journalNamespace,
    deriver: options.derivatives ? ctx.deriver : undefined,
    concurrency: { files: options.concurrency, chunks: options.chunkConcurrency }
  });
  const view = progressView(options.json ? 'none' : ctx.isTTY ? 'bars' : 'lines', ctx.stderr);
  // Ctrl-C deliberately does not abort: open uploads stay on the canister and in the journal
  // (written atomically), so running the same command again resumes them.
  const removeInterrupt = ctx.onInterrupt(() => {
    view.stop();
    ctx.stderr.write('\ninterrupted: run the same command again to resume\n');
  });
  const started = Date.now();
  let outcomes;
  try {
    outcomes = await uploader.uploadAll(items, { onProgress: (e) => view.onProgress(e) });
  } finally {
    view.stop();
    removeInterrupt();
  }
  const seconds = (Date.now() - started) / 1000;
  const failed = outcomes.filter((o) => o.status !== 'finished');
  if (options.json) {
    const bytes = outcomes.reduce((n, o) => n + Number(o.variants.original?.size ?? 0n), 0);
    const bytesSent = outcomes.reduce((n, o) => n + o.bytesSent, 0);
    const error = failed.length ? { error: { message: `${failed.length} of ${outcomes.length} files did not upload.` } } : {};
    ctx.stdout.write(json({ ok: failed.length === 0, seconds, bytes, bytesSent, assets: outcomes.map(outcomeJson), ...error }));
  } else {
    for (const o of outcomes) (o.status === 'finished' ? ctx.stdout : ctx.stderr).write(outcomeLine(o) + '\n');
    for (const o of outcomes) for (const w of o.warnings) ctx.stderr.write(`warning: ${w}\n`);
    ctx.stderr.write(putSummary(outcomes, seconds) + '\n');
  }
  return failed.length === 0 ? EXIT_OK : EXIT_FAILED;
}
