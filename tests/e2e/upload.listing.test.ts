// list_assets on the replica, whose per-query limits (5 billion instructions, 3 MiB reply) are
// the real ones: 30 assets × 32 variants with every text at its maximum length. Before pages
// were budgeted, list_assets(null, 10) trapped on the instruction limit here.
import { beforeAll, describe, expect, it } from 'vitest';
import { seededPerFile } from '../support/seeded.js';

const ASSETS = 30;
const VARIANTS = 32;
const assetIdOf = (n: number) => `${String(n).padStart(3, '0')}-`.padEnd(256, 'a');
const variantOf = (n: number) => `v${n}-`.padEnd(32, 'v');

const seeded = seededPerFile();

beforeAll(async () => {
  // Zero-byte uploads (begin + finish through the canister's services), one asset per message:
  // the test canister's seed_asset, instead of 1,984 pairs of ingress messages.
  const variants = Array.from({ length: VARIANTS }, (_, v) => variantOf(v));
  for (let a = 0; a < ASSETS; a++) {
    const finished = await seeded.actor.seed_asset(assetIdOf(a), variants, 'f'.repeat(1024), 'c'.repeat(256));
    if (finished !== VARIANTS) throw new Error(`asset ${a}: ${finished} of ${VARIANTS} variants`);
  }
}, 600_000);

describe('list_assets with 30 assets × 32 variants of maximum-length texts', () => {
  it('answers a short page rather than trapping, and paging lists every asset once', async () => {
    const first = await seeded.actor.list_assets([], 10);
    expect(first.length).toBeGreaterThan(0);
    expect(first.every((asset) => asset.variants.length === VARIANTS)).toBe(true);
    const ids: string[] = [];
    let after: [] | [string] = [];
    for (;;) {
      const page = await seeded.actor.list_assets(after, 100);
      if (page.length === 0) break;
      ids.push(...page.map((asset) => asset.asset_id));
      after = [page[page.length - 1]!.asset_id];
    }
    expect(ids).toEqual(Array.from({ length: ASSETS }, (_, a) => assetIdOf(a)));
  });

  it('list_assets_page lists every asset exactly once across budget-cut pages, to an explicit end', async () => {
    const ids: string[] = [];
    const sizes: number[] = [];
    let after: [] | [string] = [];
    for (;;) {
      const page = await seeded.actor.list_assets_page(after, 100);
      ids.push(...page.assets.map((asset) => asset.asset_id));
      sizes.push(page.assets.length);
      if (page.next.length === 0) break;
      expect(page.next).toEqual([page.assets.at(-1)!.asset_id]);
      after = page.next;
    }
    expect(ids).toEqual(Array.from({ length: ASSETS }, (_, a) => assetIdOf(a)));
    // Each asset is ≈ 55 KB of reply: the budgets cut every page of 100 short.
    console.log(`page sizes: ${sizes.join(", ")}`);
    expect(sizes.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThan(100);
  });
});
