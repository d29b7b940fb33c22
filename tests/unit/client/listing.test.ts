// listAllAssets follows `next`, so a short page (cut by the canister's budgets) is not the end.
import { Principal } from '@icp-sdk/core/principal';
import { describe, expect, it } from 'vitest';
import type { Asset, AssetPage } from '../../../candid/ic_upload.js';
import { listAllAssets } from '../../../src/client/listing.js';

const asset = (id: string): Asset => ({ asset_id: id, owner: Principal.anonymous(), variants: [], public: false });

describe('listAllAssets', () => {
  it('walks short and full pages to the explicit end, each asset once', async () => {
    const ids = Array.from({ length: 250 }, (_, n) => `a${String(n).padStart(3, '0')}`);
    const calls: Array<[string | undefined, number]> = [];
    // Pages cut short at random-looking points, as budgets cut them.
    const cuts = [7, 100, 1, 42, 100, 100];
    const actor = {
      async list_assets_page(after: [] | [string], limit: number): Promise<AssetPage> {
        calls.push([after[0], limit]);
        const start = after.length === 0 ? 0 : ids.indexOf(after[0]) + 1;
        const page = ids.slice(start, start + Math.min(limit, cuts[calls.length - 1] ?? limit));
        const more = start + page.length < ids.length;
        return { assets: page.map(asset), next: more ? [page.at(-1)!] : [] };
      }
    };
    const seen: string[] = [];
    for await (const a of listAllAssets(actor)) seen.push(a.asset_id);
    expect(seen).toEqual(ids);
    expect(calls[0]).toEqual([undefined, 100]);
    expect(calls.length).toBe(5);
  });
});
