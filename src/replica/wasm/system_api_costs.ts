// What the IC charges, in instructions, for each System API call: a fixed overhead per call plus
// a charge per byte the call moves, so the instruction counts of a message include them.
//
// Sources, in https://github.com/dfinity/ic:
// - fixed overheads: `overhead::new` in `rs/embedders/src/wasmtime_embedder/system_api_complexity.rs`
//   (read at commit 023cfe84513a5b9db9a1a966336fa01cd9d06ae0; "new" is the metering in effect);
// - per byte: `rs/embedders/src/wasmtime_embedder/linker.rs` (the version read beside it): copies
//   into or out of the heap charge their size (`get_num_instructions_from_bytes`, 1 per byte on
//   application subnets); `call_data_append`, `msg_reply_data_append` and `msg_reject` charge
//   `BYTE_TRANSMISSION_COST_FACTOR` = 50 per byte, the cost of passing the payload out of the Wasm
//   sandbox; `call_new` charges the callee's and the method name's size;
// - stable writes also charge each newly dirtied 4 KiB page once per message:
//   `DEFAULT_DIRTY_PAGE_OVERHEAD` = 1,000 in `rs/config/src/subnet_config.rs` (commit
//   002d5530aeb1ef1ed362d7f9c3c5529b8ec1cafe), applied by `charge_for_stable_write` in linker.rs.
// Calls not listed cost nothing extra (debug_print is charged only its fixed part here: whether
// the IC also charges its bytes depends on a subnet's logging flags).

export const BYTE_TRANSMISSION_COST_FACTOR = 50n;
export const DIRTY_PAGE_OVERHEAD = 1_000n;
export const OS_PAGE_BYTES = 4096;

/** Fixed overhead per call. */
export const SYSTEM_API_OVERHEAD: Readonly<Record<string, bigint>> = {
  accept_message: 500n,
  call_cycles_add128: 500n,
  call_data_append: 500n,
  call_new: 1_500n,
  call_on_cleanup: 500n,
  call_perform: 5_000n,
  canister_cycle_balance128: 500n,
  canister_self_copy: 500n,
  canister_self_size: 500n,
  canister_status: 500n,
  canister_version: 500n,
  certified_data_set: 500n,
  cycles_burn128: 100n,
  data_certificate_copy: 500n,
  data_certificate_present: 500n,
  data_certificate_size: 500n,
  debug_print: 100n,
  global_timer_set: 500n,
  is_controller: 1_000n,
  msg_arg_data_copy: 500n,
  msg_arg_data_size: 500n,
  msg_caller_copy: 500n,
  msg_caller_size: 500n,
  msg_cycles_accept128: 500n,
  msg_cycles_available128: 500n,
  msg_cycles_refunded128: 500n,
  msg_method_name_copy: 500n,
  msg_method_name_size: 500n,
  msg_reject_code: 500n,
  msg_reject_msg_copy: 500n,
  msg_reject_msg_size: 500n,
  msg_reject: 500n,
  msg_reply_data_append: 500n,
  msg_reply: 500n,
  performance_counter: 200n,
  stable64_grow: 500n,
  stable64_read: 20n,
  stable64_size: 20n,
  stable64_write: 20n,
  time: 500n,
  trap: 500n
};

const big = (v: unknown): bigint => (typeof v === 'bigint' ? BigInt.asUintN(64, v) : BigInt((v as number) >>> 0));

/**
 * The per-byte part of a call's charge, from its arguments (dirty pages excluded: see
 * `stableWriteDirtyPages`). Argument positions follow the System API signatures.
 */
export function bytesCharge(name: string, args: readonly unknown[]): bigint {
  switch (name) {
    case 'msg_arg_data_copy':
    case 'msg_caller_copy':
    case 'msg_method_name_copy':
    case 'msg_reject_msg_copy':
    case 'canister_self_copy':
    case 'data_certificate_copy':
    case 'stable64_read':
    case 'stable64_write':
      return big(args[2]);
    case 'certified_data_set':
    case 'trap':
      return big(args[1]);
    case 'call_data_append':
    case 'msg_reply_data_append':
    case 'msg_reject':
      return BYTE_TRANSMISSION_COST_FACTOR * big(args[1]);
    case 'call_new':
      return big(args[1]) + big(args[3]);
    default:
      return 0n;
  }
}

/** The 4 KiB pages a stable write of `size` (> 0) bytes at `offset` touches, first to last; exact numbers. */
export function stablePages(offset: number, size: number): [number, number] {
  return [Math.floor(offset / OS_PAGE_BYTES), Math.floor((offset + size - 1) / OS_PAGE_BYTES)];
}
