// Bounded state: an upgrade, and each message, cost the same at 0, 2,000 and 10,000 closed
// sessions and assets. The states are built by the test canister's `seed` (real begin + finish
// through the services, without Candid or ingress), then upgraded to the same Wasm.
import { beforeAll, describe, expect, it } from 'vitest';
import { seededPerFile, seedTo, SEEDED_WASM, type Probe } from '../support/seeded.js';
import { admin } from '../support/upload.js';

/**
 * Closed sessions and assets at each measuring point. Each seeded upload costs ≈ 14 million
 * instructions (begin + finish through the services), so 10,000 take minutes on the embedded
 * replica: `npm test` measures at 0 / 200 / 1,000; IC_UPLOAD_SCALE_SIZES=0,2000,10000 runs the
 * full figures (README, "Upgrades").
 */
const SIZES = (process.env.IC_UPLOAD_SCALE_SIZES ?? '0,200,1000').split(',').map(Number);
const LARGEST = SIZES[SIZES.length - 1]!;

const canister = seededPerFile();
const upgrades = new Map<number, bigint>();
const probes = new Map<number, Probe>();
let listed = 0;

beforeAll(async () => {
  const { pic, canisterId, actor } = canister;
  let seeded = 0;
  for (const size of SIZES) {
    await seedTo(actor, 'seed-', seeded, size);
    seeded = size;
    probes.set(size, await actor.probe(`probe-${size}`));
    await pic.upgradeCanister({ canisterId, wasm: SEEDED_WASM, sender: admin.getPrincipal() });
    upgrades.set(size, (await actor.stats()).upgrade_instructions[0]!);
  }
  let after: [] | [string] = [];
  for (;;) {
    const page = await actor.list_assets_page(after, 100);
    listed += page.assets.length;
    if (page.next.length === 0) break;
    after = page.next;
  }
}, 3_600_000);

const spread = (values: bigint[]) => {
  const max = values.reduce((a, b) => (a > b ? a : b));
  const min = values.reduce((a, b) => (a < b ? a : b));
  return Number(max - min) / Number(min);
};

describe('bounded state', () => {
  it('the upgrade costs the same at every size of closed sessions and assets, under 5 billion', () => {
    const figures = SIZES.map((size) => upgrades.get(size)!);
    console.log(`upgrade_instructions at ${SIZES.join(' / ')}: ${figures.join(' / ')}`);
    expect(spread(figures)).toBeLessThan(0.1);
    expect(upgrades.get(LARGEST)!).toBeLessThan(5_000_000_000n);
  });

  it('each message costs about the same at every stored size of a page or more', () => {
    const keys = Object.keys(probes.get(0)!).sort() as Array<keyof Probe>;
    for (const key of keys) console.log(`${key} at ${SIZES.join(' / ')}: ${SIZES.map((size) => probes.get(size)![key]).join(' / ')}`);
    // Between two stored sizes five times apart, a scan would cost five times more; lookups in the
    // stable B-trees and the skip lists deepen with log(n) only. From an empty canister the first
    // hundred records set up those levels (and fill the pages of list_assets_page, 10, and
    // my_uploads, 100), so the comparison is between the sizes of at least a page.
    const nonEmpty = SIZES.filter((size) => size >= 100);
    for (const key of keys) expect(spread(nonEmpty.map((size) => probes.get(size)![key])), key).toBeLessThan(0.25);
  });

  it('list_assets_page walks every seeded asset once to its end', () => {
    expect(listed).toBe(LARGEST);
  });
});
