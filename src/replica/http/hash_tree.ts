// Hash trees (spec "Certification": "Encoding of certificates", "Lookup", "reconstruct").
// The state is held as a labeled tree; `witness` turns it into the hash tree a certificate
// carries, revealing the requested paths and pruning everything else to its digest.
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { compareBytes } from './request_id.js';

/** The CBOR shape of a hash tree, the same tuples agent-js decodes (`NodeType` 0..4). */
export type HashTree =
  | [0]
  | [1, HashTree, HashTree]
  | [2, Uint8Array, HashTree]
  | [3, Uint8Array]
  | [4, Uint8Array];

export const empty = (): HashTree => [0];
export const fork = (left: HashTree, right: HashTree): HashTree => [1, left, right];
export const labeled = (label: Uint8Array, tree: HashTree): HashTree => [2, label, tree];
export const leaf = (value: Uint8Array): HashTree => [3, value];
export const pruned = (digest: Uint8Array): HashTree => [4, digest];

/** A node of the labeled state tree: a value, or children with distinct labels. */
export type LabeledTree = { leaf: Uint8Array } | { children: Array<[Uint8Array, LabeledTree]> };

export type Label = Uint8Array | string;
const toLabel = (l: Label): Uint8Array => (typeof l === 'string' ? utf8ToBytes(l) : l);

export function leafNode(value: Uint8Array | string): LabeledTree {
  return { leaf: typeof value === 'string' ? utf8ToBytes(value) : value };
}

/** A subtree; children are sorted by label here so callers may list them in any order. */
export function subtree(children: Array<[Label, LabeledTree]>): LabeledTree {
  const sorted = children.map(([l, t]): [Uint8Array, LabeledTree] => [toLabel(l), t]).sort((a, b) => compareBytes(a[0], b[0]));
  for (let i = 1; i < sorted.length; i++) {
    if (compareBytes(sorted[i - 1][0], sorted[i][0]) === 0) throw new Error('duplicate label in labeled tree');
  }
  return { children: sorted };
}

function domainSep(s: string): Uint8Array {
  return concatBytes(Uint8Array.of(s.length), utf8ToBytes(s));
}
const EMPTY_SEP = domainSep('ic-hashtree-empty');
const FORK_SEP = domainSep('ic-hashtree-fork');
const LABELED_SEP = domainSep('ic-hashtree-labeled');
const LEAF_SEP = domainSep('ic-hashtree-leaf');

/**
 * `reconstruct`: the root hash of a hash tree. Digests are kept per node (trees are never
 * changed once built): the witnesses of one state tree share its subtrees, and a batch of
 * answers hashes each of them once.
 */
export function digest(tree: HashTree): Uint8Array {
  if (tree[0] === 4) return tree[1];
  let known = digests.get(tree);
  if (!known) {
    known = computeDigest(tree);
    digests.set(tree, known);
  }
  return known;
}
const digests = new WeakMap<HashTree, Uint8Array>();

function computeDigest(tree: Exclude<HashTree, [4, Uint8Array]>): Uint8Array {
  switch (tree[0]) {
    case 0:
      return sha256(EMPTY_SEP);
    case 1:
      return sha256(concatBytes(FORK_SEP, digest(tree[1]), digest(tree[2])));
    case 2:
      return sha256(concatBytes(LABELED_SEP, tree[1], digest(tree[2])));
    case 3:
      return sha256(concatBytes(LEAF_SEP, tree[1]));
  }
}

/** The full hash tree of a labeled tree: children as labeled nodes under balanced forks (kept per node, as digests are). */
export function toHashTree(node: LabeledTree): HashTree {
  let known = hashTrees.get(node);
  if (!known) {
    known = 'leaf' in node ? leaf(node.leaf) : forks(node.children.map(([label, child]) => labeled(label, toHashTree(child))));
    hashTrees.set(node, known);
  }
  return known;
}
const hashTrees = new WeakMap<LabeledTree, HashTree>();

function forks(nodes: HashTree[]): HashTree {
  if (nodes.length === 0) return empty();
  if (nodes.length === 1) return nodes[0];
  const mid = Math.ceil(nodes.length / 2);
  return fork(forks(nodes.slice(0, mid)), forks(nodes.slice(mid)));
}

/** Requested paths as a trie; `whole` marks a requested prefix, whose subtree is revealed. */
interface PathTrie {
  whole: boolean;
  next: Map<string, PathTrie>;
}

function buildTrie(paths: Uint8Array[][]): PathTrie {
  const root: PathTrie = { whole: false, next: new Map() };
  for (const path of paths) {
    let node = root;
    for (const label of path) {
      const key = Buffer.from(label).toString('hex');
      let child = node.next.get(key);
      if (!child) node.next.set(key, (child = { whole: false, next: new Map() }));
      node = child;
    }
    node.whole = true;
  }
  return root;
}

/**
 * The witness for `paths`: their subtrees in full, every other branch pruned. Its digest equals
 * `digest(toHashTree(tree))`, so one signature over the state root covers any witness.
 */
export function witness(tree: LabeledTree, paths: Uint8Array[][]): HashTree {
  return witnessNode(tree, buildTrie(paths));
}

function witnessNode(node: LabeledTree, trie: PathTrie): HashTree {
  if (trie.whole || 'leaf' in node) return toHashTree(node);
  // Each child is either revealed (on a requested path) or stands for its digest only.
  const entries = node.children.map(([label, child]): { kept?: HashTree; tree: () => HashTree } => {
    const sub = trie.next.get(Buffer.from(label).toString('hex'));
    return sub
      ? { kept: labeled(label, witnessNode(child, sub)), tree: () => labeled(label, toHashTree(child)) }
      : { tree: () => labeled(label, toHashTree(child)) };
  });
  return prunedForks(entries);
}

function prunedForks(entries: Array<{ kept?: HashTree; tree: () => HashTree }>): HashTree {
  if (entries.length === 0) return empty();
  if (!entries.some((e) => e.kept)) return pruned(digest(forks(entries.map((e) => e.tree()))));
  if (entries.length === 1) return entries[0].kept!;
  const mid = Math.ceil(entries.length / 2);
  return fork(prunedForks(entries.slice(0, mid)), prunedForks(entries.slice(mid)));
}
