// The certification tree, kept node by node in a key-value store (stable memory in the
// canister), so that one asset change rewrites only the nodes on that asset's paths and an
// upgrade finds the tree as it was: setting the certified data again is all it needs.
//
// The tree is the nested labeled tree of the HTTP Gateway Protocol (`http_expr` / path
// segments / `<$>` or `<*>` / expression hash / request hash / response hash → leaf ""). Each
// level — the children of one labeled node — is a treap ordered by label, whose priorities come
// from the node keys (hashes), so a level's shape depends only on the labels it holds, never on
// the order they came in. Its in-order walk is the sorted list of labels, which makes it a
// well-formed hash tree that ic-certification's lookups (and so absence proofs) accept.
//
// An asset's entries are many (a 206 piece per chunk), more than one message can insert. They
// are built as a *staged* level, apart from the tree and in as many messages as it takes, then
// attached under the asset's `<$>` in one step; a level taken out of the tree is freed node by
// node later (`collectGarbage`). Staged levels derive their node keys from a seed of their own,
// used once, so a node waiting to be freed never shares its key with a live one.
import { compareBytes, concat, empty, fork, labeled, leaf, pruned, TreeHasher, utf8, type HashTree, type Sha256 } from './hash_tree.js';

/** What the tree needs from its store: StableBTreeMap<Uint8Array, Uint8Array> fits. */
export interface TreeStore {
  get(key: Uint8Array): Uint8Array | undefined;
  insert(key: Uint8Array, value: Uint8Array): unknown;
  remove(key: Uint8Array): unknown;
}

/** A path of labels from the top level down; its last label carries the leaf "". */
export type TreePath = readonly Uint8Array[];

const KEY_BYTES = 32;
/** Where the top level's root is recorded; node keys are 32 bytes, so it never collides. */
const ROOT_KEY = Uint8Array.of(0);
const TOP_LEVEL_ID = new Uint8Array(KEY_BYTES);
const EMPTY_LEAF = new Uint8Array(0);
/** u64 BE: staged levels seeded so far. */
const STAGING_COUNT_KEY = Uint8Array.of(1);
/** The first node waiting to be freed; each waits under GARBAGE_PREFIX ‖ its key → the next one's key. */
const GARBAGE_HEAD_KEY = Uint8Array.of(2);
const GARBAGE_PREFIX = Uint8Array.of(3);
const STAGING_DOMAIN = utf8('ic-upload staged level');

/** A level built apart from the tree: the seed its node keys derive from, and its root once it has one. */
export interface StagedLevel {
  seed: Uint8Array;
  root?: Uint8Array;
}

type Change = { op: 'insert' } | { op: 'remove' } | { op: 'detach' } | { op: 'attach'; level: Uint8Array };

interface ChildRef {
  key: Uint8Array;
  /** The child treap's hash, kept here so a parent is rehashed without reading its children. */
  hash: Uint8Array;
}

/** One node of a level's treap: a label, its value (the level below, or the leaf) and its two treap children. */
interface TreeNode {
  key: Uint8Array;
  label: Uint8Array;
  left?: ChildRef;
  right?: ChildRef;
  /** Root of the level below this label; absent for the leaf "". */
  below?: Uint8Array;
  /** Digest of this label's value: the level below's root hash, or the leaf's hash. */
  value: Uint8Array;
  /** Digest of this node's whole treap subtree. */
  hash: Uint8Array;
}

const HAS_LEFT = 1;
const HAS_RIGHT = 2;
const HAS_BELOW = 4;

function encodeNode(n: TreeNode): Uint8Array {
  const flags = (n.left ? HAS_LEFT : 0) | (n.right ? HAS_RIGHT : 0) | (n.below ? HAS_BELOW : 0);
  const parts: Uint8Array[] = [Uint8Array.of(flags)];
  if (n.left) parts.push(n.left.key, n.left.hash);
  if (n.right) parts.push(n.right.key, n.right.hash);
  if (n.below) parts.push(n.below);
  parts.push(n.value, n.hash, n.label);
  return concat(...parts);
}

function decodeNode(key: Uint8Array, bytes: Uint8Array): TreeNode {
  const flags = bytes[0];
  let at = 1;
  const take = (): Uint8Array => bytes.slice(at, (at += KEY_BYTES));
  const left = flags & HAS_LEFT ? { key: take(), hash: take() } : undefined;
  const right = flags & HAS_RIGHT ? { key: take(), hash: take() } : undefined;
  const below = flags & HAS_BELOW ? take() : undefined;
  const value = take();
  const hash = take();
  return { key, label: bytes.slice(at), left, right, below, value, hash };
}

/** A request for the witness: labels wanted at one level, each with what is wanted below it. */
type WitnessTrie = Map<string, { label: Uint8Array; below: WitnessTrie }>;

function labelId(label: Uint8Array): string {
  let s = '';
  for (let i = 0; i < label.length; i++) s += String.fromCharCode(label[i]);
  return s;
}

export class CertificationTree {
  private readonly hasher: TreeHasher;
  private readonly leafHash: Uint8Array;

  constructor(
    private readonly store: TreeStore,
    sha256: Sha256
  ) {
    this.hasher = new TreeHasher(sha256);
    this.leafHash = this.hasher.leaf(EMPTY_LEAF);
  }

  /** The hash to pass to `certified_data_set`. */
  rootHash(): Uint8Array {
    const root = this.root();
    return root ? this.load(root).hash : this.hasher.emptyHash;
  }

  /** Adds `path` (idempotent). Rewrites only the nodes on it and their treap ancestors. */
  insert(path: TreePath): void {
    this.setRoot(this.updateLevel(TOP_LEVEL_ID, this.root(), path, 0, { op: 'insert' }));
  }

  /**
   * Removes the node at `path` with everything below it, and the levels left empty above it.
   * Its cost grows with what is below `path`, not with the rest of the tree.
   */
  remove(path: TreePath): void {
    this.setRoot(this.updateLevel(TOP_LEVEL_ID, this.root(), path, 0, { op: 'remove' }));
  }

  /**
   * Removes the node at `path` and the levels left empty above it at once, whatever is below
   * it: that level is only queued to be freed (`collectGarbage`). Use it for attached levels.
   */
  detach(path: TreePath): void {
    this.setRoot(this.updateLevel(TOP_LEVEL_ID, this.root(), path, 0, { op: 'detach' }));
  }

  /** A new, empty staged level with a seed no other level has had. */
  newStagedLevel(): StagedLevel {
    const count = this.store.get(STAGING_COUNT_KEY);
    const next = (count ? new DataView(count.buffer, count.byteOffset, 8).getBigUint64(0) : 0n) + 1n;
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigUint64(0, next);
    this.store.insert(STAGING_COUNT_KEY, bytes);
    return { seed: this.hasher.sha256(concat(STAGING_DOMAIN, bytes)) };
  }

  /** Adds `path` (relative to the level) to a staged level; answers the level with its new root. */
  stage(level: StagedLevel, path: TreePath): StagedLevel {
    const root = this.updateLevel(level.seed, level.root, path, 0, { op: 'insert' });
    return { seed: level.seed, root: root!.key };
  }

  /**
   * Puts a staged level below the node at `path` (created if need be) in one step: one path's
   * work whatever the level holds. A level that was below it is queued to be freed.
   */
  attach(path: TreePath, level: StagedLevel): void {
    if (!level.root) throw new Error('certification tree: an empty staged level cannot be attached');
    this.setRoot(this.updateLevel(TOP_LEVEL_ID, this.root(), path, 0, { op: 'attach', level: level.root }));
  }

  /** Queues a staged level that will not be attached to be freed. */
  discard(level: StagedLevel): void {
    if (level.root) this.pushGarbage(level.root);
  }

  /** Whether nodes are waiting to be freed. */
  hasGarbage(): boolean {
    return this.store.get(GARBAGE_HEAD_KEY) !== undefined;
  }

  /**
   * Frees waiting nodes one by one while `more()` allows; answers true when none is left. Each
   * step is a few store operations, so a caller can bound a message's work.
   */
  collectGarbage(more: () => boolean): boolean {
    for (;;) {
      const head = this.store.get(GARBAGE_HEAD_KEY);
      if (!head) return true;
      if (!more()) return false;
      const entry = concat(GARBAGE_PREFIX, head);
      const next = this.store.get(entry);
      this.store.remove(entry);
      if (next && next.length > 0) this.store.insert(GARBAGE_HEAD_KEY, next);
      else this.store.remove(GARBAGE_HEAD_KEY);
      const bytes = this.store.get(head);
      if (!bytes) continue;
      const node = decodeNode(head, bytes);
      this.store.remove(head);
      if (node.left) this.pushGarbage(node.left.key);
      if (node.right) this.pushGarbage(node.right.key);
      if (node.below) this.pushGarbage(node.below);
    }
  }

  /** Whether `path` leads to a node (a leaf or a level). */
  has(path: TreePath): boolean {
    let at = this.root();
    for (const label of path) {
      const node = at && this.find(at, label);
      if (!node) return false;
      at = node.below;
    }
    return true;
  }

  /**
   * The tree with `paths` revealed — down to their leaves, or with the value pruned where a
   * path ends above one — and everything else pruned. A path that is not in the tree is
   * revealed as far as needed to prove it absent. Its digest is `rootHash()`.
   */
  witness(paths: readonly TreePath[]): HashTree {
    const trie: WitnessTrie = new Map();
    for (const path of paths) {
      let level = trie;
      for (const label of path) {
        const id = labelId(label);
        let entry = level.get(id);
        if (!entry) level.set(id, (entry = { label, below: new Map() }));
        level = entry.below;
      }
    }
    const root = this.root();
    return root ? this.witnessNode(this.load(root), [...trie.values()]) : empty();
  }

  // --- levels ---

  private updateLevel(levelId: Uint8Array, root: Uint8Array | undefined, path: TreePath, depth: number, change: Change): TreeNode | undefined {
    const label = path[depth];
    const key = this.hasher.sha256(concat(levelId, label));
    const last = depth === path.length - 1;
    return this.updateTreap(root, key, label, (node) => {
      if (change.op === 'remove' || change.op === 'detach') {
        if (!node) return undefined;
        if (last) {
          if (node.below) {
            if (change.op === 'remove') this.dropLevel(node.below);
            else this.pushGarbage(node.below);
          }
          return undefined;
        }
        if (!node.below) return node;
        const below = this.updateLevel(node.key, node.below, path, depth + 1, change);
        return below ? { ...node, below: below.key, value: below.hash } : undefined;
      }
      const current: TreeNode = node ?? { key, label, value: this.leafHash, hash: this.leafHash };
      if (last && change.op === 'attach') {
        if (node?.below && compareBytes(node.below, change.level) !== 0) this.pushGarbage(node.below);
        return { ...current, below: change.level, value: this.load(change.level).hash };
      }
      if (last) return node && node.below ? node : { ...current, below: undefined, value: this.leafHash };
      const below = this.updateLevel(current.key, current.below, path, depth + 1, change)!;
      return { ...current, below: below.key, value: below.hash };
    });
  }

  private pushGarbage(key: Uint8Array): void {
    const head = this.store.get(GARBAGE_HEAD_KEY);
    this.store.insert(concat(GARBAGE_PREFIX, key), head ?? new Uint8Array(0));
    this.store.insert(GARBAGE_HEAD_KEY, key);
  }

  /** Deletes a whole level and everything below it. */
  private dropLevel(root: Uint8Array): void {
    const node = this.load(root);
    if (node.left) this.dropLevel(node.left.key);
    if (node.right) this.dropLevel(node.right.key);
    if (node.below) this.dropLevel(node.below);
    this.store.remove(node.key);
  }

  // --- one level's treap ---

  /**
   * Finds `label` under `root` and replaces its node by `change(node)` (undefined: no node);
   * answers the new root of this treap, saved.
   */
  private updateTreap(
    root: Uint8Array | undefined,
    key: Uint8Array,
    label: Uint8Array,
    change: (node: TreeNode | undefined) => TreeNode | undefined
  ): TreeNode | undefined {
    if (!root) {
      const created = change(undefined);
      return created && this.save({ ...created, left: undefined, right: undefined });
    }
    const node = this.load(root);
    const order = compareBytes(label, node.label);
    if (order === 0) {
      const changed = change(node);
      if (!changed) {
        this.store.remove(node.key);
        return this.merge(node.left, node.right);
      }
      return this.save(changed);
    }
    if (order < 0) {
      const child = this.updateTreap(node.left?.key, key, label, change);
      if (child && outranks(child.key, node.key)) {
        // Rotate right: the child rises above this node.
        const lowered = this.save({ ...node, left: child.right });
        return this.save({ ...child, right: ref(lowered) });
      }
      return this.save({ ...node, left: child && ref(child) });
    }
    const child = this.updateTreap(node.right?.key, key, label, change);
    if (child && outranks(child.key, node.key)) {
      const lowered = this.save({ ...node, right: child.left });
      return this.save({ ...child, left: ref(lowered) });
    }
    return this.save({ ...node, right: child && ref(child) });
  }

  /** Joins two treaps whose labels are all less (a) than all of b's. */
  private merge(a: ChildRef | undefined, b: ChildRef | undefined): TreeNode | undefined {
    if (!a) return b && this.load(b.key);
    if (!b) return this.load(a.key);
    if (outranks(a.key, b.key)) {
      const left = this.load(a.key);
      const right = this.merge(left.right, b);
      return this.save({ ...left, right: right && ref(right) });
    }
    const right = this.load(b.key);
    const left = this.merge(a, right.left);
    return this.save({ ...right, left: left && ref(left) });
  }

  private find(root: Uint8Array, label: Uint8Array): TreeNode | undefined {
    let at: Uint8Array | undefined = root;
    while (at) {
      const node = this.load(at);
      const order = compareBytes(label, node.label);
      if (order === 0) return node;
      at = order < 0 ? node.left?.key : node.right?.key;
    }
    return undefined;
  }

  // --- hashing: the shape `witnessNode` reveals ---

  /** fork(fork(left, this), right), leaving out the children a node lacks. */
  private save(node: TreeNode): TreeNode {
    const own = this.hasher.labeled(node.label, node.value);
    let hash = node.left ? this.hasher.fork(node.left.hash, own) : own;
    if (node.right) hash = this.hasher.fork(hash, node.right.hash);
    const saved = { ...node, hash };
    this.store.insert(node.key, encodeNode(saved));
    return saved;
  }

  private witnessNode(node: TreeNode, wanted: { label: Uint8Array; below: WitnessTrie }[]): HashTree {
    if (wanted.length === 0) return pruned(node.hash);
    const less: typeof wanted = [];
    const greater: typeof wanted = [];
    let here: WitnessTrie | undefined;
    for (const w of wanted) {
      const order = compareBytes(w.label, node.label);
      if (order === 0) here = w.below;
      else (order < 0 ? less : greater).push(w);
    }
    let value: HashTree;
    if (here === undefined || (here.size === 0 && node.below)) value = pruned(node.value);
    else if (!node.below) value = leaf(EMPTY_LEAF);
    else value = this.witnessNode(this.load(node.below), [...here.values()]);
    const side = (child: ChildRef | undefined, requests: typeof wanted): HashTree | undefined =>
      child && (requests.length === 0 ? pruned(child.hash) : this.witnessNode(this.load(child.key), requests));
    const left = side(node.left, less);
    const right = side(node.right, greater);
    let tree = labeled(node.label, value);
    if (left) tree = fork(left, tree);
    if (right) tree = fork(tree, right);
    return tree;
  }

  // --- storage ---

  private root(): Uint8Array | undefined {
    return this.store.get(ROOT_KEY);
  }

  private setRoot(node: TreeNode | undefined): void {
    if (node) this.store.insert(ROOT_KEY, node.key);
    else this.store.remove(ROOT_KEY);
  }

  private load(key: Uint8Array): TreeNode {
    const bytes = this.store.get(key);
    if (!bytes) throw new Error('certification tree: a node is missing from its store');
    return decodeNode(key, bytes);
  }
}

const ref = (node: TreeNode): ChildRef => ({ key: node.key, hash: node.hash });

/** Treap priority: the node key read as a big-endian number; keys are distinct hashes. */
function outranks(a: Uint8Array, b: Uint8Array): boolean {
  return compareBytes(a, b) > 0;
}
