// The test canister tests/canisters/upload_seeded: ic_upload plus `seed` (many zero-byte uploads
// in one message, through the real services), `probe` (instructions per service call) and
// `chunk_digest` (the stored digest of one chunk of a blob).
import type { PocketIc } from '@dfinity/pic';
import type { IDL as CandidIDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import { fileURLToPath } from 'node:url';
import { idlFactory, type IcUploadService } from '../../candid/ic_upload.js';
import { admin, alice, encodeInitArgs, NO_LIMITS, type UploadActor } from './upload.js';

export const SEEDED_WASM = fileURLToPath(new URL('../../.azle/upload_seeded/upload_seeded.wasm', import.meta.url));

export interface Probe {
  begin: bigint;
  put_chunk: bigint;
  finish: bigint;
  list_assets_page: bigint;
  my_uploads: bigint;
  stats: bigint;
  delete_asset: bigint;
}

export interface SeededService extends IcUploadService {
  seed(prefix: string, from: number, count: number): Promise<number>;
  probe(assetId: string): Promise<Probe>;
  seed_asset(assetId: string, variants: string[], fileName: string, contentType: string): Promise<number>;
  chunk_digest(blobId: bigint, index: number): Promise<[] | [Uint8Array]>;
}

export const seededIdlFactory: CandidIDL.InterfaceFactory = (args) => {
  const { IDL } = args;
  const base = idlFactory(args) as CandidIDL.ServiceClass;
  const Probe = IDL.Record({
    begin: IDL.Nat64,
    put_chunk: IDL.Nat64,
    finish: IDL.Nat64,
    list_assets_page: IDL.Nat64,
    my_uploads: IDL.Nat64,
    stats: IDL.Nat64,
    delete_asset: IDL.Nat64
  });
  return IDL.Service({
    ...Object.fromEntries(base._fields),
    seed: IDL.Func([IDL.Text, IDL.Nat32, IDL.Nat32], [IDL.Nat32], []),
    probe: IDL.Func([IDL.Text], [Probe], []),
    seed_asset: IDL.Func([IDL.Text, IDL.Vec(IDL.Text), IDL.Text, IDL.Text], [IDL.Nat32], []),
    chunk_digest: IDL.Func([IDL.Nat64, IDL.Nat32], [IDL.Opt(IDL.Vec(IDL.Nat8))], ['query'])
  });
};

/** Zero-byte uploads per seed message (≈ 14 million instructions each): one message stays short. */
export const SEED_BATCH = 100;

export async function setupSeeded(pic: PocketIc, wasm = SEEDED_WASM): Promise<{ canisterId: Principal; actor: UploadActor & SeededService }> {
  const fixture = await pic.setupCanister<SeededService>({
    idlFactory: seededIdlFactory,
    wasm,
    sender: admin.getPrincipal(),
    arg: encodeInitArgs(NO_LIMITS)
  });
  fixture.actor.setIdentity(alice);
  return { canisterId: fixture.canisterId, actor: fixture.actor as UploadActor & SeededService };
}

/** Brings the caller's seeded assets (and closed sessions) to `total`, from `from`. */
export async function seedTo(actor: SeededService, prefix: string, from: number, total: number): Promise<void> {
  for (let n = from; n < total; n += SEED_BATCH) {
    const count = Math.min(SEED_BATCH, total - n);
    const finished = await actor.seed(prefix, n, count);
    if (finished !== count) throw new Error(`seed ${prefix}${n}: ${finished} of ${count} finished`);
  }
}
