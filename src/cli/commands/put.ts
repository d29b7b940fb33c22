// `ic-upload put <paths…>`: files and directories (expanded recursively) into assets.
import { sha256 } from '@noble/hashes/sha2.js';
import { readdir, stat } from 'node:fs/promises';
import type { IcUploadService } from '../../../candid/ic_upload.js';
import { classify } from '../../client/agent_errors.js';
import { bytesEqual } from '../../shared/bytes.js';
import type { Journal } from '../../client/types.js';
import { Limiter } from '../../client/pool.js';
import { basename, isAbsolute, join, relative, sep } from 'node:path';
import { fileSource, type FileSource } from '../../client/node/file_source.js';
import { Uploader, type UploadItem } from '../../client/uploader.js';
import { ServiceError } from '../../client/errors.js';
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
  /** Upload even files whose asset already holds the same bytes. */
  force?: boolean;
  /** The uploads make their assets public (BeginArgs.public); absent leaves visibility as it is. */
  public?: boolean;
}

/** The canister's default `max_open_uploads_per_caller` (DESIGN.md, InitArgs). */
export const DEFAULT_MAX_OPEN_UPLOADS_PER_CALLER = 16;
/** IC error codes of a call to a method the canister does not export. */
const METHOD_NOT_FOUND = new Set(['IC0536', 'IC0302']);

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

/**
 * The caller's open-upload limit: the canister's `limits` query where it has one, else the
 * default. Both agent-js and a canister without the method are handled: an actor built from an
 * interface without `limits` has no such function, and a canister without it rejects the call.
 */
export async function openUploadLimit(actor: IcUploadService): Promise<number> {
  const withLimits = actor as IcUploadService & { limits?: () => Promise<{ max_open_uploads_per_caller: number }> };
  if (typeof withLimits.limits !== 'function') return DEFAULT_MAX_OPEN_UPLOADS_PER_CALLER;
  try {
    return (await withLimits.limits()).max_open_uploads_per_caller;
  } catch (error) {
    const code = classify(error).code;
    if (code !== undefined && METHOD_NOT_FOUND.has(code)) return DEFAULT_MAX_OPEN_UPLOADS_PER_CALLER;
    throw error;
  }
}

/** How many uploads this run may hold open: the limit less open uploads no journal entry will resume. */
async function openUploadBudget(actor: IcUploadService, journal: Journal, namespace: string): Promise<number> {
  const [limit, mine, entries] = await Promise.all([openUploadLimit(actor), actor.my_uploads(), journal.entries()]);
  const open = mine.filter((u) => 'Open' in u.state).length;
  const resumable = entries.filter(([fp, e]) => fp.startsWith(`ic-upload:${namespace}:`) && e.uploadId !== undefined).length;
  return Math.max(1, limit - Math.max(0, open - resumable));
}

/** Whether the asset's original already is these bytes (same size, then same SHA-256). */
async function alreadyStored(actor: IcUploadService, source: FileSource, assetId: string): Promise<boolean> {
  const answer = await actor.get_asset(assetId);
  if ('Err' in answer) return false;
  const original = answer.Ok.variants.find(([variant]) => variant === 'original')?.[1];
  if (!original || original.size !== BigInt(source.size)) return false;
  const hasher = sha256.create();
  const piece = 4 << 20;
  for (let at = 0; at < source.size; at += piece) hasher.update(await source.read(at, Math.min(source.size, at + piece)));
  return bytesEqual(hasher.digest(), original.sha256);
}

export async function put(ctx: CliContext, paths: string[], options: PutOptions): Promise<number> {
  const inputs = await expandInputs(paths, ctx.cwd, options.prefix);
  if (inputs.length === 0) throw new UsageError('no files to upload');
  const connection = await ctx.resolve(options);
  const connected = await ctx.connect(connection);
  if (connected.createdIdentity && !options.json) ctx.stderr.write(`created identity ${connected.principal} in ${connected.createdIdentity}\n`);
  const all = await Promise.all(inputs.map(async (f) => ({ source: await fileSource(f.path), assetId: f.assetId, public: options.public ? true : undefined })));
  const journal = ctx.journal(connection);
  const lookups = new Limiter(8);
  const unchanged = options.force ? [] : (await Promise.all(all.map((item) => lookups.run(async () => ((await alreadyStored(connected.actor, item.source, item.assetId)) ? item : undefined))))).filter((i) => i !== undefined);
  for (const item of unchanged) await item.source.close?.();
  const items: UploadItem[] = all.filter((item) => !unchanged.includes(item));
  // A file left unchanged still takes --public: only its visibility changes.
  if (options.public) {
    for (const item of unchanged) {
      const answer = await connected.actor.set_public(item.assetId, true);
      if ('Err' in answer) throw new ServiceError(answer.Err, item.assetId, 'set_public');
    }
  }
  const openUploads = await openUploadBudget(connected.actor, journal, connected.journalNamespace);
  const uploader = new Uploader({
    actor: connected.actor,
    journal,
    journalNamespace: connected.journalNamespace,
    deriver: options.derivatives ? ctx.deriver : undefined,
    concurrency: { files: options.concurrency, chunks: options.chunkConcurrency, openUploads }
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
    const skipped = unchanged.map((item) => ({ ok: true, assetId: item.assetId, fileName: item.source.name, status: 'unchanged' }));
    ctx.stdout.write(json({ ok: failed.length === 0, seconds, bytes, bytesSent, assets: [...skipped, ...outcomes.map(outcomeJson)], ...error }));
  } else {
    for (const item of unchanged) ctx.stdout.write(`unchanged ${item.assetId} (the canister holds the same SHA-256; --force uploads it again)\n`);
    for (const o of outcomes) (o.status === 'finished' ? ctx.stdout : ctx.stderr).write(outcomeLine(o) + '\n');
    for (const o of outcomes) for (const w of o.warnings) ctx.stderr.write(`warning: ${w}\n`);
    ctx.stderr.write(putSummary(outcomes, seconds) + '\n');
  }
  return failed.length === 0 ? EXIT_OK : EXIT_FAILED;
}
