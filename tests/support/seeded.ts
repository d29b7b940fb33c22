// The test canister tests/canisters/upload_seeded: ic_upload plus the test-only methods of its
// interface.ts — `seed` (many zero-byte uploads in one message, through the real services),
// `probe` (instructions per service call), `chunk_digest` (the stored digest of one chunk of a blob).
import type { PocketIc } from '@dfinity/pic';
import type { IDL as CandidIDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import { fileURLToPath } from 'node:url';
import { idlFactory } from '../../candid/ic_upload.js';
import { seededMethods, type SeededService } from '../canisters/upload_seeded/interface.js';
import { admin, alice, canisterPerFile, encodeInitArgs, NO_LIMITS, type PicPerFile, type UploadActor } from './upload.js';

export type { Probe, SeededService } from '../canisters/upload_seeded/interface.js';

export const SEEDED_WASM = fileURLToPath(new URL('../../.azle/upload_seeded/upload_seeded.wasm', import.meta.url));

export const seededIdlFactory: CandidIDL.InterfaceFactory = (args) => {
  const base = idlFactory(args) as CandidIDL.ServiceClass;
  return args.IDL.Service({ ...Object.fromEntries(base._fields), ...seededMethods(args.IDL as typeof CandidIDL) });
};

/** Zero-byte uploads per seed message (≈ 14 million instructions each): one message stays short. */
export const SEED_BATCH = 100;

export type SeededActor = UploadActor & SeededService;

export interface SeededCanister {
  canisterId: Principal;
  /** Alice's actor. */
  actor: SeededActor;
}

export async function setupSeeded(pic: PocketIc, wasm = SEEDED_WASM): Promise<SeededCanister> {
  const fixture = await pic.setupCanister<SeededService>({
    idlFactory: seededIdlFactory,
    wasm,
    sender: admin.getPrincipal(),
    arg: encodeInitArgs(NO_LIMITS)
  });
  fixture.actor.setIdentity(alice);
  return { canisterId: fixture.canisterId, actor: fixture.actor as SeededActor };
}

/** canisterPerFile with the seeded canister installed by setupSeeded. */
export function seededPerFile(): SeededCanister & PicPerFile {
  return canisterPerFile((pic) => setupSeeded(pic));
}

/** Brings the caller's seeded assets (and closed sessions) to `total`, from `from`. */
export async function seedTo(actor: SeededService, prefix: string, from: number, total: number): Promise<void> {
  for (let n = from; n < total; n += SEED_BATCH) {
    const count = Math.min(SEED_BATCH, total - n);
    const finished = await actor.seed(prefix, n, count);
    if (finished !== count) throw new Error(`seed ${prefix}${n}: ${finished} of ${count} finished`);
  }
}
