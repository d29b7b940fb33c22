// A canister's stable memory: 64 KiB Wasm pages held sparsely and copied on write. Azle keeps
// 64 MiB of stable memory from the start, so rolling back a trapped execution must not copy the
// whole memory: only the pages it wrote are new, and the old ones are still referenced.
import { trap } from './errors.js';

export const WASM_PAGE = 65536;
/** The IC's stable memory limit: 500 GiB. */
const MAX_PAGES = (500n * 1024n * 1024n * 1024n) / BigInt(WASM_PAGE);
const BIGGEST = BigInt(Number.MAX_SAFE_INTEGER);
/** Below this many bytes a loop copies faster than making two views for `set`. */
const SMALL_COPY = 32;

/** A System API offset or size (an i64, unsigned) as a number: exact below 2^53, else Infinity. */
export function exactNumber(value: bigint): number {
  return value >= 0n && value <= BIGGEST ? Number(value) : Infinity;
}

/** A saved state of stable memory: page references are shared, never written after a checkpoint. */
export interface StableCheckpoint {
  readonly pages: Array<Uint8Array | undefined>;
  readonly sizePages: number;
}

export class StableMemory {
  private pages: Array<Uint8Array | undefined> = [];
  private sizePages = 0;
  /**
   * Pages copied since the last checkpoint. A page is copied on its first write after a
   * checkpoint, so every checkpoint's page references stay intact: rolling back is restoring
   * the array, and a checkpoint costs a shallow copy of it, whatever the memory's size.
   */
  private copied = new Set<number>();

  get size(): number {
    return this.sizePages;
  }

  checkpoint(): StableCheckpoint {
    this.copied = new Set();
    return { pages: this.pages.slice(), sizePages: this.sizePages };
  }

  restore(cp: StableCheckpoint): void {
    this.pages = cp.pages.slice();
    this.sizePages = cp.sizePages;
    this.copied = new Set();
  }

  grow(newPages: bigint): bigint {
    const old = BigInt(this.sizePages);
    if (newPages < 0n || old + newPages > MAX_PAGES) return -1n;
    this.sizePages += Number(newPages);
    return old;
  }

  read(dst: Uint8Array, offset: bigint, size: number): void {
    this.checkBounds(offset, size);
    let pos = Number(offset);
    let done = 0;
    while (done < size) {
      const index = Math.floor(pos / WASM_PAGE);
      const within = pos % WASM_PAGE;
      const n = Math.min(WASM_PAGE - within, size - done);
      const page = this.pages[index];
      if (page) dst.set(page.subarray(within, within + n), done);
      else dst.fill(0, done, done + n);
      done += n;
      pos += n;
    }
  }

  /**
   * As `read`, into `heap[at, at + size)`: the System API's path, called thousands of times a
   * message by ic-stable-structures, mostly for a few bytes. `offset` must be exact (below 2^53)
   * or Infinity, which traps as out of bounds.
   */
  readInto(heap: Uint8Array, at: number, offset: number, size: number): void {
    if (offset + size > this.sizePages * WASM_PAGE) throw trap.wasm('stable memory out of bounds');
    const within = offset % WASM_PAGE;
    if (within + size > WASM_PAGE) return this.read(heap.subarray(at, at + size), BigInt(offset), size);
    const page = this.pages[(offset - within) / WASM_PAGE];
    if (!page) heap.fill(0, at, at + size);
    else if (size <= SMALL_COPY) for (let i = 0; i < size; i++) heap[at + i] = page[within + i]!;
    else heap.set(page.subarray(within, within + size), at);
  }

  /** As `write`, from `heap[at, at + size)`; `offset` as for `readInto`. */
  writeFrom(heap: Uint8Array, at: number, size: number, offset: number): void {
    if (offset + size > this.sizePages * WASM_PAGE) throw trap.wasm('stable memory out of bounds');
    const within = offset % WASM_PAGE;
    if (within + size > WASM_PAGE) return this.write(heap.subarray(at, at + size), BigInt(offset));
    const page = this.writablePage((offset - within) / WASM_PAGE);
    if (size <= SMALL_COPY) for (let i = 0; i < size; i++) page[within + i] = heap[at + i]!;
    else page.set(heap.subarray(at, at + size), within);
  }

  write(src: Uint8Array, offset: bigint): void {
    this.checkBounds(offset, src.length);
    let pos = Number(offset);
    const within = pos % WASM_PAGE;
    if (within + src.length <= WASM_PAGE) {
      // Most writes are small and inside one page.
      this.writablePage((pos - within) / WASM_PAGE).set(src, within);
      return;
    }
    let done = 0;
    while (done < src.length) {
      const index = Math.floor(pos / WASM_PAGE);
      const within = pos % WASM_PAGE;
      const n = Math.min(WASM_PAGE - within, src.length - done);
      this.writablePage(index).set(src.subarray(done, done + n), within);
      done += n;
      pos += n;
    }
  }

  /** The whole memory as one buffer (PocketIC get_stable_memory). */
  snapshot(): Uint8Array {
    const out = new Uint8Array(this.sizePages * WASM_PAGE);
    this.pages.forEach((page, i) => page && out.set(page, i * WASM_PAGE));
    return out;
  }

  /** Replaces the whole memory (PocketIC set_stable_memory, reinstall). */
  replace(bytes: Uint8Array): void {
    const pages: Array<[number, Uint8Array]> = [];
    const count = Math.ceil(bytes.length / WASM_PAGE);
    for (let i = 0; i < count; i++) {
      const chunk = bytes.subarray(i * WASM_PAGE, (i + 1) * WASM_PAGE);
      if (chunk.some((b) => b !== 0)) {
        const page = new Uint8Array(WASM_PAGE);
        page.set(chunk);
        pages.push([i, page]);
      }
    }
    this.restorePages(count, pages);
  }

  /** Pages that hold data, for compact persistence. */
  *nonEmptyPages(): Generator<[number, Uint8Array]> {
    for (let i = 0; i < this.pages.length; i++) {
      const page = this.pages[i];
      if (page) yield [i, page];
    }
  }

  restorePages(sizePages: number, pages: Iterable<[number, Uint8Array]>): void {
    this.pages = [];
    this.sizePages = sizePages;
    for (const [i, page] of pages) this.pages[i] = page;
    this.copied = new Set();
  }

  private writablePage(index: number): Uint8Array {
    const current = this.pages[index];
    if (current && this.copied.has(index)) return current;
    const page = current ? current.slice() : new Uint8Array(WASM_PAGE);
    this.pages[index] = page;
    this.copied.add(index);
    return page;
  }

  private checkBounds(offset: bigint, size: number): void {
    // Plain numbers are exact below 2^53 bytes (8 PiB), far above the 500 GiB limit.
    if (offset < 0n || offset > BIGGEST || Number(offset) + size > this.sizePages * WASM_PAGE) {
      throw trap.wasm('stable memory out of bounds');
    }
  }
}
