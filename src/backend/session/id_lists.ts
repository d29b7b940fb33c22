// Doubly linked lists of u64 ids kept in one key-value store, each list named by a byte prefix:
// push at the front, unlink anywhere, walk from the front — every step one direct lookup, so a
// page costs the same however long the list is. (Azle's StableBTreeMap offers no range from a
// key: its `items(start, n)` skips `start` entries one by one.) Id 0 means "none".
import { Reader, Writer } from '../encoding.js';
import type { KeyValueStore } from '../kv.js';

interface Link {
  prev: bigint;
  next: bigint;
}

function encodeLink(link: Link): Uint8Array {
  return new Writer(16).u64(link.prev).u64(link.next).finish();
}

function decodeLink(bytes: Uint8Array): Link {
  const r = new Reader(bytes);
  const link = { prev: r.u64(), next: r.u64() };
  r.end();
  return link;
}

export class IdLists {
  constructor(private readonly store: KeyValueStore) {}

  /** The list's head: prev = last element, next = first. */
  private headKey(list: Uint8Array): Uint8Array {
    return list;
  }

  private nodeKey(list: Uint8Array, id: bigint): Uint8Array {
    const key = new Uint8Array(list.length + 8);
    key.set(list);
    new DataView(key.buffer).setBigUint64(list.length, id);
    return key;
  }

  private read(key: Uint8Array): Link | undefined {
    const bytes = this.store.get(key);
    return bytes === undefined ? undefined : decodeLink(bytes);
  }

  private keyOf(list: Uint8Array, id: bigint): Uint8Array {
    return id === 0n ? this.headKey(list) : this.nodeKey(list, id);
  }

  has(list: Uint8Array, id: bigint): boolean {
    return this.store.containsKey(this.nodeKey(list, id));
  }

  /** Adds `id` at the front; nothing if it is already in the list. */
  pushFront(list: Uint8Array, id: bigint): void {
    if (this.has(list, id)) return;
    const head = this.read(this.headKey(list)) ?? { prev: 0n, next: 0n };
    const first = head.next;
    this.store.insert(this.nodeKey(list, id), encodeLink({ prev: 0n, next: first }));
    if (first !== 0n) {
      const node = this.read(this.nodeKey(list, first))!;
      this.store.insert(this.nodeKey(list, first), encodeLink({ ...node, prev: id }));
      this.store.insert(this.headKey(list), encodeLink({ prev: head.prev, next: id }));
    } else {
      this.store.insert(this.headKey(list), encodeLink({ prev: id, next: id }));
    }
  }

  /** Unlinks `id`; answers whether it was in the list. */
  remove(list: Uint8Array, id: bigint): boolean {
    const bytes = this.store.remove(this.nodeKey(list, id));
    if (bytes === undefined) return false;
    const { prev, next } = decodeLink(bytes);
    if (prev === 0n && next === 0n) {
      this.store.remove(this.headKey(list));
      return true;
    }
    const before = this.read(this.keyOf(list, prev))!;
    this.store.insert(this.keyOf(list, prev), encodeLink({ ...before, next }));
    const after = this.read(this.keyOf(list, next))!;
    this.store.insert(this.keyOf(list, next), encodeLink({ ...after, prev }));
    return true;
  }

  /** Ids from the front, while `more()` allows. */
  *walk(list: Uint8Array): Generator<bigint> {
    let id = this.read(this.headKey(list))?.next ?? 0n;
    while (id !== 0n) {
      yield id;
      id = this.read(this.nodeKey(list, id))?.next ?? 0n;
    }
  }
}
