// Candid types of the management canister `aaaaa-aa` (IC interface specification,
// "The IC management canister"), declared with only the fields the replica acts on: Candid
// subtyping lets callers send more, and absent `opt` fields decode as null.
import { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';

const LogVisibility = IDL.Variant({
  controllers: IDL.Null,
  public: IDL.Null,
  allowed_viewers: IDL.Vec(IDL.Principal)
});

export const Settings = IDL.Record({
  controllers: IDL.Opt(IDL.Vec(IDL.Principal)),
  compute_allocation: IDL.Opt(IDL.Nat),
  memory_allocation: IDL.Opt(IDL.Nat),
  freezing_threshold: IDL.Opt(IDL.Nat),
  reserved_cycles_limit: IDL.Opt(IDL.Nat),
  wasm_memory_limit: IDL.Opt(IDL.Nat),
  wasm_memory_threshold: IDL.Opt(IDL.Nat)
});
export interface SettingsArg {
  controllers: [] | [Principal[]];
  compute_allocation: [] | [bigint];
  memory_allocation: [] | [bigint];
  freezing_threshold: [] | [bigint];
  reserved_cycles_limit: [] | [bigint];
  wasm_memory_limit: [] | [bigint];
  wasm_memory_threshold: [] | [bigint];
}

export const CanisterIdRecord = IDL.Record({ canister_id: IDL.Principal });
export interface CanisterIdArg {
  canister_id: Principal;
}

export const CreateCanisterArgs = IDL.Record({
  settings: IDL.Opt(Settings),
  amount: IDL.Opt(IDL.Nat),
  specified_id: IDL.Opt(IDL.Principal)
});
export interface CreateCanisterArg {
  settings: [] | [SettingsArg];
  amount: [] | [bigint];
  specified_id: [] | [Principal];
}

export const Mode = IDL.Variant({
  install: IDL.Null,
  reinstall: IDL.Null,
  upgrade: IDL.Opt(
    IDL.Record({
      skip_pre_upgrade: IDL.Opt(IDL.Bool),
      wasm_memory_persistence: IDL.Opt(IDL.Variant({ keep: IDL.Null, replace: IDL.Null }))
    })
  )
});
export type ModeArg =
  | { install: null }
  | { reinstall: null }
  | { upgrade: [] | [{ skip_pre_upgrade: [] | [boolean]; wasm_memory_persistence: [] | [{ keep: null } | { replace: null }] }] };

export const InstallCodeArgs = IDL.Record({
  mode: Mode,
  canister_id: IDL.Principal,
  wasm_module: IDL.Vec(IDL.Nat8),
  arg: IDL.Vec(IDL.Nat8)
});
export interface InstallCodeArg {
  mode: ModeArg;
  canister_id: Principal;
  wasm_module: Uint8Array;
  arg: Uint8Array;
}

export const ChunkHash = IDL.Record({ hash: IDL.Vec(IDL.Nat8) });
export const UploadChunkArgs = IDL.Record({ canister_id: IDL.Principal, chunk: IDL.Vec(IDL.Nat8) });
export interface UploadChunkArg {
  canister_id: Principal;
  chunk: Uint8Array;
}

export const InstallChunkedCodeArgs = IDL.Record({
  mode: Mode,
  target_canister: IDL.Principal,
  store_canister: IDL.Opt(IDL.Principal),
  chunk_hashes_list: IDL.Vec(ChunkHash),
  wasm_module_hash: IDL.Vec(IDL.Nat8),
  arg: IDL.Vec(IDL.Nat8)
});
export interface InstallChunkedCodeArg {
  mode: ModeArg;
  target_canister: Principal;
  store_canister: [] | [Principal];
  chunk_hashes_list: Array<{ hash: Uint8Array }>;
  wasm_module_hash: Uint8Array;
  arg: Uint8Array;
}

export const UpdateSettingsArgs = IDL.Record({ canister_id: IDL.Principal, settings: Settings });
export interface UpdateSettingsArg {
  canister_id: Principal;
  settings: SettingsArg;
}

export const DefiniteSettings = IDL.Record({
  controllers: IDL.Vec(IDL.Principal),
  compute_allocation: IDL.Nat,
  memory_allocation: IDL.Nat,
  freezing_threshold: IDL.Nat,
  reserved_cycles_limit: IDL.Nat,
  log_visibility: LogVisibility,
  wasm_memory_limit: IDL.Nat,
  wasm_memory_threshold: IDL.Nat,
  environment_variables: IDL.Vec(IDL.Record({ name: IDL.Text, value: IDL.Text }))
});

export const CanisterStatusResult = IDL.Record({
  status: IDL.Variant({ running: IDL.Null, stopping: IDL.Null, stopped: IDL.Null }),
  settings: DefiniteSettings,
  module_hash: IDL.Opt(IDL.Vec(IDL.Nat8)),
  memory_size: IDL.Nat,
  cycles: IDL.Nat,
  reserved_cycles: IDL.Nat,
  idle_cycles_burned_per_day: IDL.Nat,
  query_stats: IDL.Record({
    num_calls_total: IDL.Nat,
    num_instructions_total: IDL.Nat,
    request_payload_bytes_total: IDL.Nat,
    response_payload_bytes_total: IDL.Nat
  })
});

export const RawRandResult = IDL.Vec(IDL.Nat8);
