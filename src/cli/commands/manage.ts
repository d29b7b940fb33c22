// `ls`, `status` and `rm`: small commands over queries and one update each.
import type { Asset, UploadStatus } from '../../../candid/ic_upload.js';
import { ServiceError } from '../../client/errors.js';
import type { GlobalOptions } from '../config.js';
import type { CliContext } from '../context.js';
import { EXIT_FAILED, EXIT_OK, sentence, UsageError } from '../errors.js';
import { assetJson, assetTable, json, statusJson, statusTable } from '../output.js';

const PAGE = 100;

export async function ls(ctx: CliContext, options: GlobalOptions & { prefix?: string }): Promise<number> {
  const { actor } = await ctx.connect(await ctx.resolve(options));
  const assets: Asset[] = [];
  let after: [] | [string] = [];
  for (;;) {
    const page = await actor.list_assets(after, PAGE);
    assets.push(...page);
    if (page.length < PAGE) break;
    after = [page[page.length - 1]!.asset_id];
  }
  const shown = options.prefix ? assets.filter((a) => a.asset_id.startsWith(options.prefix!)) : assets;
  ctx.stdout.write(options.json ? json(shown.map(assetJson)) : assetTable(shown));
  return EXIT_OK;
}

export async function status(ctx: CliContext, uploadId: string | undefined, options: GlobalOptions): Promise<number> {
  const connection = await ctx.resolve(options);
  const { actor, journalNamespace } = await ctx.connect(connection);
  if (uploadId !== undefined) {
    if (!/^\d+$/.test(uploadId)) throw new UsageError(`upload id must be a number, not "${uploadId}"`);
    const answer = await actor.upload_status(BigInt(uploadId));
    if ('Err' in answer) throw new ServiceError(answer.Err, `upload ${uploadId}`, 'upload_status');
    ctx.stdout.write(options.json ? json(statusJson(answer.Ok)) : statusTable([answer.Ok]));
    return EXIT_OK;
  }
  const uploads: UploadStatus[] = (await actor.my_uploads()).filter((u) => 'Open' in u.state);
  const resumable = (await ctx.journal(connection).entries()).filter(([fp]) => fp.startsWith(`ic-upload:${journalNamespace}:`));
  if (options.json) {
    ctx.stdout.write(json({ open: uploads.map(statusJson), journal: resumable.map(([fingerprint, e]) => ({ fingerprint, ...e })) }));
  } else {
    ctx.stdout.write(statusTable(uploads));
    if (resumable.length) ctx.stdout.write(`${resumable.length} upload(s) in the local journal resume when you run the same put again\n`);
  }
  return EXIT_OK;
}

export async function rm(ctx: CliContext, assetIds: string[], options: GlobalOptions): Promise<number> {
  const { actor } = await ctx.connect(await ctx.resolve(options));
  let failed = 0;
  const results: Array<{ assetId: string; removed: boolean; error?: string }> = [];
  for (const assetId of assetIds) {
    const answer = await actor.delete_asset(assetId);
    if ('Ok' in answer) {
      results.push({ assetId, removed: true });
      if (!options.json) ctx.stdout.write(`removed ${assetId}\n`);
    } else {
      failed++;
      const error = new ServiceError(answer.Err, assetId, 'delete_asset');
      results.push({ assetId, removed: false, error: error.message });
      if (!options.json) ctx.stderr.write(`error: ${sentence(error.message)}\n`);
    }
  }
  if (options.json) ctx.stdout.write(json(results));
  return failed === 0 ? EXIT_OK : EXIT_FAILED;
}
