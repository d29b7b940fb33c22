// Write tracking: metered modules record which 4 KiB pages of the heap each execution wrote, so
// the host snapshots, rolls back and checkpoints only those pages instead of copying the whole
// heap (tens of MiB for an Azle canister) around every message. V8 gives a host no page
// protection or dirty bits, and Node 20 has no multi-memory, so the record lives in the
// module's own memory, out of the canister's reach:
//  * The canister's memory is shifted up by RESERVED_BYTES. Every load and store gets
//    RESERVED_BYTES added to its static offset (free at run time); memory.size answers and
//    memory.grow takes and answers the canister's page count; active data segments move up; bulk
//    operations get their addresses shifted by a helper. The host sees the canister's heap as the
//    memory from RESERVED_BYTES on (`heapBase`), and the System API does too.
//  * The reserved bytes are a byte map, one byte per 4 KiB page of the canister's heap: after
//    every store, `map[(address + offset) >> 12] = 1`; bulk operations mark their destination
//    range before they run. A store wider than a byte may reach into the next page by up to
//    PAGE_SLACK bytes, so the host copies that much past each marked page.
// The canister cannot reach the map (its addresses start above it) and sees the same memory
// sizes, traps and instruction counts as unshifted: the inserted code is not metered. It gives
// up the top RESERVED_PAGES + 1 pages of the 4 GiB a Wasm32 heap could grow to (the IC's
// default wasm_memory_limit is 3 GiB).
import { ByteWriter, type Section, sectionReader } from './binary.js';
import { BlockType, Op, ValType } from './opcodes.js';

export const TRACKED_PAGE_SHIFT = 12;
export const TRACKED_PAGE = 1 << TRACKED_PAGE_SHIFT;
/** Bytes a store may reach past the page its address is in (8-byte stores; 16 would be v128's). */
export const PAGE_SLACK = 15;
/** One map byte per 4 KiB page of a 4 GiB address space: 1 MiB, 16 Wasm pages. */
export const RESERVED_BYTES = 2 ** 32 / TRACKED_PAGE;
export const RESERVED_PAGES = RESERVED_BYTES / 65536;
/**
 * The canister's largest heap, in Wasm pages: one page below what fits above the map, so that
 * an offset the shift pushes past 2^32 - 1 can be written as 0xFFFFFFFF and still trap.
 */
export const MAX_CANISTER_PAGES = 65536 - RESERVED_PAGES - 1;

/** A load's, store's or data segment's offset after the shift (one out of bounds stays so). */
export function shiftedOffset(offset: number): number {
  return offset + RESERVED_BYTES > 0xffffffff ? 0xffffffff : offset + RESERVED_BYTES;
}

/** The code that marks the page a store wrote, after it: `map[(local a + offset) >> 12] = 1`. */
export function markStoreCode(addressLocal: Uint8Array, offset: number): number[] {
  const add = offset === 0 ? [] : [Op.i32Const, ...s32(offset | 0), Op.i32Add];
  return [Op.localGet, ...addressLocal, ...add, Op.i32Const, TRACKED_PAGE_SHIFT, Op.i32ShrU, Op.i32Const, 1, Op.i32Store8, 0, 0];
}

/** After memory.size: the canister's page count. */
export const MEMORY_SIZE_SUFFIX: readonly number[] = [Op.i32Const, RESERVED_PAGES, Op.i32Sub];

/** Memory section with the memory's limits raised by the reserve (and capped, see above). */
export function rewriteMemorySection(input: Uint8Array, section: Section): Uint8Array {
  const r = sectionReader(input, section);
  const n = r.u32();
  if (n > 1) r.fail('more than one memory is not supported');
  const w = new ByteWriter(16);
  w.u32(n);
  for (let i = 0; i < n; i++) {
    const flags = r.u8();
    if (flags & ~0x01) r.fail(`unsupported memory limits flags 0x${flags.toString(16)}`);
    const min = r.u32();
    const max = flags & 0x01 ? r.u32() : MAX_CANISTER_PAGES;
    if (min > MAX_CANISTER_PAGES) r.fail(`a memory of ${min} pages is more than the replica supports (${MAX_CANISTER_PAGES})`);
    w.u8(0x01);
    w.u32(min + RESERVED_PAGES);
    w.u32(Math.min(Math.max(max, min), MAX_CANISTER_PAGES) + RESERVED_PAGES);
  }
  return w.finish();
}

/** Data section with every active segment's offset moved up by the reserve. */
export function rewriteDataSection(input: Uint8Array, section: Section): Uint8Array {
  const r = sectionReader(input, section);
  const n = r.u32();
  const w = new ByteWriter(r.end - r.pos + 8 * n + 16);
  w.u32(n);
  for (let i = 0; i < n; i++) {
    const flags = r.u32();
    w.u32(flags);
    if (flags === 2) {
      if (r.u32() !== 0) r.fail(`data segment ${i} targets a memory other than 0`);
      w.u32(0);
    } else if (flags !== 0 && flags !== 1) {
      r.fail(`unsupported data segment flags ${flags}`);
    }
    if (flags !== 1) {
      if (r.u8() !== Op.i32Const) r.fail(`data segment ${i}: only an i32.const offset is supported`);
      const offset = r.s32() >>> 0;
      if (r.u8() !== Op.end) r.fail(`data segment ${i}: only an i32.const offset is supported`);
      // Out of range stays out of range: instantiation fails, as it would have.
      w.bytes([Op.i32Const, ...s32(shiftedOffset(offset) | 0), Op.end]);
    }
    const size = r.u32();
    w.u32(size);
    w.bytes(r.bytesView(size));
  }
  if (!r.atEnd) r.fail('data section has bytes after its last segment');
  return w.finish();
}

/**
 * `(param $pages i32) (result i32)`: memory.grow in the canister's pages. The memory's declared
 * maximum (rewriteMemorySection) keeps the heap within MAX_CANISTER_PAGES.
 */
export function growBody(): Uint8Array {
  return Uint8Array.from([
    ...[1, 1, ValType.i32], // $old
    ...[Op.localGet, 0, Op.memoryGrow, 0, Op.localTee, 1, Op.i32Const, 0x7f, Op.i32Eq],
    ...[Op.if, ValType.i32, Op.i32Const, 0x7f, Op.else, Op.localGet, 1, ...MEMORY_SIZE_SUFFIX, Op.end],
    Op.end
  ]);
}

/**
 * `(param $d i32) (param $x i32) (param $n i32) (result i32 i32 i32)`, called right before
 * memory.fill or memory.init (`shiftSource` false) or memory.copy (true): marks the pages of
 * [d, d + n) that lie in the heap and answers the operands with the addresses shifted. An address
 * the shift would push past 2^32 - 1 becomes 0xFFFFFFFF, which traps in the operation as the
 * original did (it is beyond the largest heap).
 */
export function bulkOperandsBody(shiftSource: boolean): Uint8Array {
  const [d, x, n, page, last, heap] = [0, 1, 2, 3, 4, 5];
  const shifted = (local: number) => [
    ...[Op.localGet, local, Op.i32Const, ...s32(-RESERVED_BYTES - 1), Op.i32GtU],
    ...[Op.if, ValType.i32, Op.i32Const, 0x7f, Op.else, Op.localGet, local, Op.i32Const, ...s32(RESERVED_BYTES), Op.i32Add, Op.end]
  ];
  return Uint8Array.from([
    ...[1, 3, ValType.i32], // $page, $last, $heap
    // heap = canister bytes (at most MAX_CANISTER_PAGES << 16, below 2^32)
    ...[Op.memorySize, 0, ...MEMORY_SIZE_SUFFIX, Op.i32Const, 16, Op.i32Shl, Op.localSet, heap],
    // if (n != 0 & d <u heap)
    ...[Op.localGet, n, Op.i32Const, 0, Op.i32Ne, Op.localGet, d, Op.localGet, heap, Op.i32LtU, Op.i32And, Op.if, BlockType.empty],
    // last = (n >u heap - d ? heap - 1 : d + n - 1) >> 12
    ...[Op.localGet, n, Op.localGet, heap, Op.localGet, d, Op.i32Sub, Op.i32GtU, Op.if, ValType.i32],
    ...[Op.localGet, heap, Op.i32Const, 1, Op.i32Sub, Op.else],
    ...[Op.localGet, d, Op.localGet, n, Op.i32Add, Op.i32Const, 1, Op.i32Sub, Op.end],
    ...[Op.i32Const, TRACKED_PAGE_SHIFT, Op.i32ShrU, Op.localSet, last],
    ...[Op.localGet, d, Op.i32Const, TRACKED_PAGE_SHIFT, Op.i32ShrU, Op.localSet, page],
    // do { map[page] = 1 } while (++page <= last)
    ...[Op.loop, BlockType.empty, Op.localGet, page, Op.i32Const, 1, Op.i32Store8, 0, 0],
    ...[Op.localGet, page, Op.i32Const, 1, Op.i32Add, Op.localTee, page, Op.localGet, last, Op.i32LeU, Op.brIf, 0, Op.end],
    Op.end,
    ...shifted(d),
    ...(shiftSource ? shifted(x) : [Op.localGet, x]),
    ...[Op.localGet, n],
    Op.end
  ]);
}

function s32(value: number): number[] {
  const w = new ByteWriter(5);
  w.s64(value);
  return Array.from(w.finish());
}
