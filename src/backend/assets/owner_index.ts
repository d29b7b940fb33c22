// Each owner's asset ids in order, as a skip list kept in one key-value store: list_assets_page
// finds the first id after `after` and walks on with direct lookups only — O(log n) to seek, one
// lookup per asset listed — because Azle's StableBTreeMap has no range from a key (its
// `items(start, n)` skips `start` entries one by one). Node key: owner prefix ‖ asset id (UTF-8);
// the owner prefix alone is the head. A node's value: its forward pointers, one per level.
import { concatBytes } from '@noble/hashes/utils.js';
import { Reader, utf8, Writer } from '../encoding.js';
import type { KeyValueStore } from '../kv.js';

/** With one node in four promoted a level, 12 levels seek in O(log n) up to ~16 million ids. */
const MAX_LEVEL = 12;
const HEAD = '';

type Forward = Array<string | undefined>;

function encodeForward(forward: Forward): Uint8Array {
  const w = new Writer(8 + 32 * forward.length).u8(forward.length);
  for (const id of forward) w.text(id ?? HEAD);
  return w.finish();
}

function decodeForward(bytes: Uint8Array): Forward {
  const r = new Reader(bytes);
  const count = r.u8();
  const forward: Forward = [];
  for (let i = 0; i < count; i++) {
    const id = r.text();
    forward.push(id === HEAD ? undefined : id);
  }
  r.end();
  return forward;
}

/** Asset ids order as JavaScript compares strings (UTF-16 code units), as list_assets always did. */
const before = (a: string, b: string): boolean => a < b;

export class OwnerAssetIndex {
  /** xorshift32 state for node levels: an owner can't arrange their ids to degrade their own list. */
  private seed: number;

  constructor(
    private readonly store: KeyValueStore,
    seed: number
  ) {
    this.seed = seed >>> 0 || 0x9e3779b9;
  }

  private key(owner: Uint8Array, assetId: string): Uint8Array {
    return concatBytes(owner, utf8(assetId));
  }

  private forward(owner: Uint8Array, assetId: string): Forward | undefined {
    const bytes = this.store.get(this.key(owner, assetId));
    if (bytes !== undefined) return decodeForward(bytes);
    return assetId === HEAD ? new Array<string | undefined>(MAX_LEVEL).fill(undefined) : undefined;
  }

  private level(): number {
    let level = 1;
    while (level < MAX_LEVEL) {
      this.seed ^= this.seed << 13;
      this.seed ^= this.seed >>> 17;
      this.seed ^= this.seed << 5;
      this.seed >>>= 0;
      if ((this.seed & 3) !== 0) break;
      level++;
    }
    return level;
  }

  has(owner: Uint8Array, assetId: string): boolean {
    return this.store.containsKey(this.key(owner, assetId));
  }

  /**
   * For each level, the last node (HEAD for none) whose id is before `assetId` (or, with
   * `inclusive`, not after it), with its forward pointers.
   */
  private predecessors(owner: Uint8Array, assetId: string, inclusive: boolean): Array<[string, Forward]> {
    const out = new Array<[string, Forward]>(MAX_LEVEL);
    let id = HEAD;
    let forward = this.forward(owner, HEAD)!;
    for (let level = MAX_LEVEL - 1; level >= 0; level--) {
      for (;;) {
        const next = forward[level];
        if (next === undefined || !(before(next, assetId) || (inclusive && next === assetId))) break;
        id = next;
        forward = this.forward(owner, next)!;
      }
      out[level] = [id, forward];
    }
    return out;
  }

  /** Adds the id; answers false if it was already there. */
  insert(owner: Uint8Array, assetId: string): boolean {
    if (this.has(owner, assetId)) return false;
    const preds = this.predecessors(owner, assetId, false);
    const height = this.level();
    const mine: Forward = [];
    const changed = new Map<string, Forward>();
    for (let level = 0; level < height; level++) {
      const [id, forward] = preds[level];
      const copy = changed.get(id) ?? forward;
      mine.push(copy[level]);
      copy[level] = assetId;
      changed.set(id, copy);
    }
    this.store.insert(this.key(owner, assetId), encodeForward(mine));
    for (const [id, forward] of changed) this.store.insert(this.key(owner, id), encodeForward(forward));
    return true;
  }

  /** Removes the id; answers false if it wasn't there. */
  remove(owner: Uint8Array, assetId: string): boolean {
    const mine = this.forward(owner, assetId);
    if (mine === undefined || assetId === HEAD) return false;
    const preds = this.predecessors(owner, assetId, false);
    const changed = new Map<string, Forward>();
    for (let level = 0; level < mine.length; level++) {
      const [id, forward] = preds[level];
      const copy = changed.get(id) ?? forward;
      if (copy[level] === assetId) copy[level] = mine[level];
      changed.set(id, copy);
    }
    this.store.remove(this.key(owner, assetId));
    for (const [id, forward] of changed) {
      if (id === HEAD && forward.every((next) => next === undefined)) this.store.remove(this.key(owner, HEAD));
      else this.store.insert(this.key(owner, id), encodeForward(forward));
    }
    return true;
  }

  /** The owner's ids after `after` (from the first if undefined), in order, one lookup each. */
  *after(owner: Uint8Array, after: string | undefined): Generator<string> {
    let next = after === undefined ? this.forward(owner, HEAD)![0] : this.predecessors(owner, after, true)[0][1][0];
    while (next !== undefined) {
      yield next;
      next = this.forward(owner, next)?.[0];
    }
  }
}
