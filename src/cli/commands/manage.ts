// `ls`, `status` and `rm`: small commands over queries and one update each.
import type { Asset, UploadStatus } from '../../../candid/ic_upload.js';
import { ServiceError } from '../../client/errors.js';
import { listAllAssets } from '../../client/listing.js';
import type { GlobalOptions } from '../config.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_FAILED, EXIT_OK, oneSentence, UsageError } from '../errors.js';
import { assetJson, assetTable, errorJson, json, statusJson, statusTable, type JsonError } from '../output.js';

export async function ls(ctx: CliContext, options: GlobalOptions & { prefix?: string }): Promise<number> {
  const { actor } = await ctx.connect(await ctx.resolve(options));
  const assets: Asset[] = [];
  for await (const asset of listAllAssets(actor)) assets.push(asset);
  const shown = options.prefix ? assets.filter((a) => a.asset_id.startsWith(options.prefix!)) : assets;
  ctx.stdout.write(options.json ? json({ ok: true, assets: shown.map(assetJson) }) : assetTable(shown));
  return EXIT_OK;
}

export async function status(ctx: CliContext, uploadId: string | undefined, options: GlobalOptions): Promise<number> {
  const connection = await ctx.resolve(options);
  const { actor, journalNamespace } = await ctx.connect(connection);
  if (uploadId !== undefined) {
    if (!/^\d+$/.test(uploadId)) throw new UsageError(`upload id must be a number, not "${uploadId}"`);
    const answer = await actor.upload_status(BigInt(uploadId));
    if ('Err' in answer) throw new ServiceError(answer.Err, `upload ${uploadId}`, 'upload_status');
    ctx.stdout.write(options.json ? json({ ok: true, ...statusJson(answer.Ok) }) : statusTable([answer.Ok]));
    return EXIT_OK;
  }
  const uploads: UploadStatus[] = (await actor.my_uploads()).filter((u) => 'Open' in u.state);
  const resumable = (await ctx.journal(connection).entries()).filter(([fp]) => fp.startsWith(`ic-upload:${journalNamespace}:`));
  if (options.json) {
    ctx.stdout.write(json({ ok: true, open: uploads.map(statusJson), journal: resumable.map(([fingerprint, e]) => ({ fingerprint, ...e })) }));
  } else {
    ctx.stdout.write(statusTable(uploads));
    if (resumable.length) ctx.stdout.write(`${resumable.length} upload(s) in the local journal resume when you run the same put again\n`);
  }
  return EXIT_OK;
}

export async function rm(ctx: CliContext, assetIds: string[], options: GlobalOptions): Promise<number> {
  const { actor } = await ctx.connect(await ctx.resolve(options));
  let failed = 0;
  const results: Array<{ ok: boolean; assetId: string; error?: JsonError }> = [];
  for (const assetId of assetIds) {
    // A failure (an Err, or the call itself failing) is this asset's; the others still go ahead.
    const error = await actor.delete_asset(assetId).then(
      (answer) => ('Err' in answer ? new ServiceError(answer.Err, assetId, 'delete_asset') : undefined),
      (thrown: unknown) => thrown
    );
    if (error === undefined) {
      results.push({ ok: true, assetId });
      if (!options.json) ctx.stdout.write(`removed ${assetId}\n`);
    } else {
      failed++;
      results.push({ ok: false, assetId, error: errorJson(error) });
      if (!options.json) ctx.stderr.write(`error: ${oneSentence(error)}\n`);
    }
  }
  if (options.json) {
    const error = failed ? { error: { message: `${failed} of ${assetIds.length} assets could not be removed.` } } : {};
    ctx.stdout.write(json({ ok: failed === 0, assets: results, ...error }));
  }
  return failed === 0 ? EXIT_OK : EXIT_FAILED;
}

/**
 * `abort <asset-or-upload-id>`: aborts one open upload by its id, or every open upload of an asset
 * (a number is taken as an upload id), and forgets them in the local journal so no later `put`
 * tries to resume them.
 */
export async function abort(ctx: CliContext, target: string, options: GlobalOptions): Promise<number> {
  const connection = await ctx.resolve(options);
  const { actor, journalNamespace } = await ctx.connect(connection);
  const byId = /^\d+$/.test(target);
  const uploads: Array<{ id: bigint; assetId?: string }> = byId
    ? [{ id: BigInt(target) }]
    : (await actor.my_uploads()).filter((u) => 'Open' in u.state && u.asset_id === target).map((u) => ({ id: u.upload_id, assetId: u.asset_id }));
  if (uploads.length === 0) throw new CliError(`asset ${target} has no open upload of yours`);
  for (const { id } of uploads) {
    const answer = await actor.abort(id);
    if ('Err' in answer) throw new ServiceError(answer.Err, `upload ${id}`, 'abort');
  }
  const ids = new Set(uploads.map((u) => u.id.toString()));
  const journal = ctx.journal(connection);
  for (const [fp, entry] of await journal.entries()) {
    if (!fp.startsWith(`ic-upload:${journalNamespace}:`)) continue;
    if ((entry.uploadId !== undefined && ids.has(entry.uploadId)) || (!byId && entry.assetId === target)) await journal.delete(fp);
  }
  if (options.json) ctx.stdout.write(json({ ok: true, aborted: [...ids] }));
  else for (const u of uploads) ctx.stdout.write(`aborted upload ${u.id}${u.assetId ? ` of ${u.assetId}` : ''}\n`);
  return EXIT_OK;
}
