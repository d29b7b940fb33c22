// Every asset of the caller's, page by page through list_assets_page, whose `next` says where the
// list goes on — so a short page (the canister cuts pages at its instruction and reply budgets)
// is never mistaken for the end.
import type { Asset, IcUploadService } from '../../candid/ic_upload.js';

/** The canister answers at most 100 assets a page. */
export const LIST_PAGE_SIZE = 100;

export async function* listAllAssets(
  actor: Pick<IcUploadService, 'list_assets_page'>,
  options: { after?: string; pageSize?: number } = {}
): AsyncGenerator<Asset> {
  let after: [] | [string] = options.after === undefined ? [] : [options.after];
  for (;;) {
    const page = await actor.list_assets_page(after, options.pageSize ?? LIST_PAGE_SIZE);
    yield* page.assets;
    if (page.next.length === 0) return;
    after = page.next;
  }
}
