// The canister's heap as of its last committed execution, kept beside the live heap so that an
// execution that traps, a query and an inspection can be undone (spec D.1). With write tracking
// (wasm/write_tracking.ts) the module marks the 4 KiB pages it writes in a map below the heap,
// and the System API marks what it writes into the heap; after an execution only those pages are
// copied: to the snapshot when it commits, back from it when it is undone. An Azle heap is tens
// of MiB, and a whole copy each way cost more than executing a small message.
import { PAGE_SLACK, RESERVED_BYTES, TRACKED_PAGE, TRACKED_PAGE_SHIFT } from './wasm/write_tracking.js';

export class HeapSnapshot {
  /** The heap as of the last commit, valid while `of` is the memory it was taken from. */
  private copy: Uint8Array = new Uint8Array(0);
  private of: WebAssembly.Memory | undefined;
  private runStarts: number[] = [];
  private runEnds: number[] = [];

  /** The snapshot is stale: something other than a tracked execution wrote the live heap. */
  invalidate(): void {
    this.of = undefined;
  }

  /** Declares the snapshot equal to `memory`'s heap, which was just written from it whole. */
  adopt(memory: WebAssembly.Memory, heapBase: number, heap: Uint8Array): void {
    if (heapBase === 0) return this.invalidate();
    this.copy = heap;
    this.of = memory;
    clearMap(memory);
  }

  /** The heap before an execution: from the kept copy if it is current, else copied whole. */
  before(memory: WebAssembly.Memory, heapBase: number): Uint8Array {
    const live = new Uint8Array(memory.buffer, heapBase);
    if (this.of === memory && this.copy.length === live.length) return this.copy;
    if (this.copy.length !== live.length) this.copy = new Uint8Array(live.length);
    this.copy.set(live);
    // Untracked modules have no map: the copy is only good for this execution.
    if (heapBase === 0) {
      this.of = undefined;
      return this.copy;
    }
    this.of = memory;
    clearMap(memory);
    return this.copy;
  }

  /**
   * After a tracked execution on the memory `before` saw: copies the pages it wrote into the
   * snapshot (commit) or back from it (undo), and clears the map. Returns false when the undo
   * cannot be done in place because the heap grew; the caller then restores the whole heap.
   */
  after(memory: WebAssembly.Memory, heapBase: number, commit: boolean): boolean {
    if (heapBase === 0 || this.of !== memory) return false;
    const live = new Uint8Array(memory.buffer, heapBase);
    if (!commit && live.length !== this.copy.length) return false;
    if (live.length > this.copy.length) {
      // Grown pages start as zeros in both; the written ones are marked.
      const grown = new Uint8Array(live.length);
      grown.set(this.copy);
      this.copy = grown;
    }
    this.writtenRuns(memory, live.length);
    const [from, to] = commit ? [live, this.copy] : [this.copy, live];
    for (let i = 0; i < this.runStarts.length; i++) {
      const start = this.runStarts[i];
      const end = Math.min(live.length, this.runEnds[i] + PAGE_SLACK);
      to.set(from.subarray(start, end), start);
    }
    return true;
  }

  /** Byte ranges [start, end) of the marked pages, runs merged; clears their marks. */
  private writtenRuns(memory: WebAssembly.Memory, heapBytes: number): void {
    this.runStarts.length = this.runEnds.length = 0;
    const pages = Math.ceil(heapBytes / TRACKED_PAGE);
    const map = pageMap(memory);
    const words = new Uint32Array(map.buffer, 0, Math.ceil(pages / 4));
    let open = -1;
    for (let w = 0; w < words.length; w++) {
      if (words[w] === 0) {
        if (open >= 0) this.closeRun(open, w * 4);
        open = -1;
        continue;
      }
      for (let page = w * 4; page < w * 4 + 4; page++) {
        if (map[page] !== 0) {
          if (open < 0) open = page;
        } else if (open >= 0) {
          this.closeRun(open, page);
          open = -1;
        }
      }
      words[w] = 0;
    }
    if (open >= 0) this.closeRun(open, words.length * 4);
  }

  private closeRun(firstPage: number, endPage: number): void {
    // Multiplied, not shifted: a page index from 2^19 on (heaps past 2 GiB) would shift negative.
    this.runStarts.push(firstPage * TRACKED_PAGE);
    this.runEnds.push(endPage * TRACKED_PAGE);
  }
}

/** Marks the heap bytes [start, start + length) written (the System API's own writes). */
export function markWritten(memory: WebAssembly.Memory, heapBase: number, start: number, length: number): void {
  if (heapBase === 0 || length === 0) return;
  const map = pageMap(memory);
  const first = start >>> TRACKED_PAGE_SHIFT;
  const last = (start + length - 1) >>> TRACKED_PAGE_SHIFT;
  for (let page = first; page <= last; page++) map[page] = 1;
}

/**
 * The page map of a tracked module's memory: one view, kept until the memory grows, since stable
 * reads into the heap mark it thousands of times a message.
 */
function pageMap(memory: WebAssembly.Memory): Uint8Array {
  const buffer = memory.buffer;
  if (mapView.buffer !== buffer) mapView = new Uint8Array(buffer, 0, RESERVED_BYTES);
  return mapView;
}
let mapView = new Uint8Array(0);

function clearMap(memory: WebAssembly.Memory): void {
  pageMap(memory).fill(0);
}
