// `public <assets...> [--off]`: makes assets public (served over certified HTTP at their URL) or
// private again, one set_public each; a failure is that asset's, the others still go ahead.
import type { Connection, GlobalOptions } from '../config.js';
import type { CliContext } from '../context.js';
import { ServiceError } from '../../client/errors.js';
import { assetUrl } from '../../client/asset_url.js';
import { EXIT_FAILED, EXIT_OK, oneSentence } from '../errors.js';
import { errorJson, json, type JsonError } from '../output.js';

/** Where the connection's gateway serves `assetId`: the local network's, or mainnet's. */
export function publicUrl(connection: Connection, assetId: string): string {
  return assetUrl(connection.canisterId, assetId, { network: connection.local ? connection.url : 'ic' });
}

export async function setVisibility(ctx: CliContext, assetIds: string[], options: GlobalOptions & { off?: boolean }): Promise<number> {
  const connection = await ctx.resolve(options);
  const { actor } = await ctx.connect(connection);
  const makePublic = !options.off;
  let failed = 0;
  const results: Array<{ ok: boolean; assetId: string; public?: boolean; url?: string; error?: JsonError }> = [];
  for (const assetId of assetIds) {
    const error = await actor.set_public(assetId, makePublic).then(
      (answer) => ('Err' in answer ? new ServiceError(answer.Err, assetId, 'set_public') : undefined),
      (thrown: unknown) => thrown
    );
    if (error === undefined) {
      const url = makePublic ? publicUrl(connection, assetId) : undefined;
      results.push({ ok: true, assetId, public: makePublic, ...(url ? { url } : {}) });
      if (!options.json) ctx.stdout.write(makePublic ? `public ${assetId}  ${url}\n` : `private ${assetId}\n`);
    } else {
      failed++;
      results.push({ ok: false, assetId, error: errorJson(error) });
      if (!options.json) ctx.stderr.write(`error: ${oneSentence(error)}\n`);
    }
  }
  if (options.json) {
    const error = failed ? { error: { message: `${failed} of ${assetIds.length} assets could not be changed.` } } : {};
    ctx.stdout.write(json({ ok: failed === 0, assets: results, ...error }));
  }
  return failed === 0 ? EXIT_OK : EXIT_FAILED;
}
