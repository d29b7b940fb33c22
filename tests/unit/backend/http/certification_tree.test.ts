// The persisted certification tree: its root hash depends only on the paths it holds, a change
// rewrites only the nodes on its path, and witnesses prove presence and absence the way
// ic-certification's `lookup_subtree` reads them.
import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { CertificationTree } from '../../../../src/backend/http/certification_tree.js';
import { compareBytes, TreeHasher, type HashTree } from '../../../../src/backend/http/hash_tree.js';
import { MapStore } from '../../../support/http_certification.js';

const enc = new TextEncoder();
const path = (...labels: string[]) => labels.map((l) => enc.encode(l));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const hasher = new TreeHasher(sha256);

type Lookup = 'absent' | 'unknown' | 'found';
type LabelResult = 'absent' | 'unknown' | 'less' | 'greater' | { found: HashTree };

// ic-certification's `lookup_label` / `lookup_subtree` (hash_tree/mod.rs), transcribed.
function lookupLabel(t: HashTree, label: Uint8Array): LabelResult {
  if (t[0] === 2) {
    const c = compareBytes(label, t[1]);
    return c > 0 ? 'greater' : c === 0 ? { found: t[2] } : 'less';
  }
  if (t[0] === 1) {
    const left = lookupLabel(t[1], label);
    if (left === 'greater') {
      const right = lookupLabel(t[2], label);
      return right === 'less' ? 'absent' : right;
    }
    if (left === 'unknown') {
      const right = lookupLabel(t[2], label);
      return right === 'less' ? 'unknown' : right;
    }
    return left;
  }
  return t[0] === 4 ? 'unknown' : 'absent';
}

function lookupSubtree(t: HashTree, labels: Uint8Array[]): Lookup {
  if (labels.length === 0) return 'found';
  const r = lookupLabel(t, labels[0]);
  if (typeof r === 'object') return lookupSubtree(r.found, labels.slice(1));
  return r === 'unknown' ? 'unknown' : 'absent';
}

const samplePaths = [
  path('http_expr', 'a', '<$>', 'e', 'r', '1'),
  path('http_expr', 'a', '<$>', 'e', 'r', '2'),
  path('http_expr', 'a', 'b', '<$>', 'e', '', '1'),
  path('http_expr', 'c', '<$>', 'e', 'r', '3'),
  path('http_expr', '<*>', 'e', '', '9'),
  path('http_expr', 'zz', 'y', '<$>', 'f', 'r', '4')
];

describe('certification tree', () => {
  it('has the same root hash whatever the insertion order, and witnesses reconstruct it', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(samplePaths, { minLength: samplePaths.length }), (order) => {
        const reference = new CertificationTree(new MapStore(), sha256);
        for (const p of samplePaths) reference.insert(p);
        const tree = new CertificationTree(new MapStore(), sha256);
        for (const p of order) tree.insert(p);
        expect(hex(tree.rootHash())).toBe(hex(reference.rootHash()));
        for (const p of samplePaths) expect(hex(hasher.digest(tree.witness([p])))).toBe(hex(tree.rootHash()));
      }),
      { numRuns: 30 }
    );
  });

  it('proves present paths found and missing ones absent, never unknown', () => {
    const tree = new CertificationTree(new MapStore(), sha256);
    for (const p of samplePaths) tree.insert(p);
    const missing = [path('http_expr', 'b', '<$>'), path('http_expr', 'a', 'b', 'c', '<*>'), path('http_expr', '0'), path('http_expr', '~'), path('nope')];
    const witness = tree.witness([...samplePaths, ...missing]);
    expect(hex(hasher.digest(witness))).toBe(hex(tree.rootHash()));
    for (const p of samplePaths) expect(lookupSubtree(witness, p)).toBe('found');
    for (const p of missing) expect(lookupSubtree(witness, p)).toBe('absent');
    // Pruned: what was not asked for is not revealed.
    const one = tree.witness([samplePaths[0]]);
    expect(lookupSubtree(one, samplePaths[3])).toBe('unknown');
  });

  it('removing a subtree restores the previous root and frees its nodes', () => {
    const store = new MapStore();
    const tree = new CertificationTree(store, sha256);
    for (const p of samplePaths.slice(0, 4)) tree.insert(p);
    const before = hex(tree.rootHash());
    const size = store.entries.size;
    tree.insert(samplePaths[4]);
    tree.insert(samplePaths[5]);
    tree.remove(path('http_expr', 'zz'));
    tree.remove(path('http_expr', '<*>'));
    expect(hex(tree.rootHash())).toBe(before);
    expect(store.entries.size).toBe(size);
    expect(tree.has(samplePaths[5])).toBe(false);
    expect(tree.has(samplePaths[0])).toBe(true);
  });

  it('rewrites a number of nodes that grows with the depth of a level, not with its size', () => {
    const store = new MapStore();
    const tree = new CertificationTree(store, sha256);
    let held = 0;
    const writesFor = (count: number) => {
      for (let i = held; i < count; i++) tree.insert(path('http_expr', `asset-${i}`, '<$>', 'e', 'r', 'h'));
      held = count;
      store.writes = 0;
      tree.insert(path('http_expr', `probe-${count}`, '<$>', 'e', 'r', 'h'));
      return store.writes;
    };
    const at100 = writesFor(100);
    const at2000 = writesFor(2000);
    // A treap's expected depth is about 2 ln n: 9 at 100, 15 at 2,000; the other five levels are new nodes.
    expect(at100).toBeLessThan(40);
    expect(at2000).toBeLessThan(60);
  });

  it('keeps working on the nodes it persisted: a second instance over the same store continues', () => {
    const store = new MapStore();
    const first = new CertificationTree(store, sha256);
    for (const p of samplePaths.slice(0, 3)) first.insert(p);
    const second = new CertificationTree(store, sha256);
    expect(hex(second.rootHash())).toBe(hex(first.rootHash()));
    for (const p of samplePaths.slice(3)) second.insert(p);
    const reference = new CertificationTree(new MapStore(), sha256);
    for (const p of samplePaths) reference.insert(p);
    expect(hex(second.rootHash())).toBe(hex(reference.rootHash()));
  });
});
