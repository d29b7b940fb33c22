// The test-only methods of upload_seeded, declared once: the canister takes its decorators' types
// from here (built with Azle's IDL), the tests and benchmarks their actors' (agent-js's IDL).
import type { IDL as CandidIDL } from '@icp-sdk/core/candid';

import { contractTypes, type HttpRequest, type IcUploadService } from '../../../candid/ic_upload.js';

type Idl = typeof CandidIDL;

/** Instructions each service call used inside one `probe` message. */
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
  seed_asset(assetId: string, variants: string[], fileName: string, contentType: string): Promise<number>;
  probe(assetId: string): Promise<Probe>;
  http_request_instructions(request: HttpRequest): Promise<bigint>;
  set_public_instructions(assetId: string, isPublic: boolean): Promise<bigint>;
  chunk_digest(blobId: bigint, index: number): Promise<[] | [Uint8Array]>;
  seed_pieces(assetId: string, pieces: number, chunkSize: number, isPublic: boolean): Promise<string>;
}

/** The test-only methods' signatures, with the given IDL implementation. */
export function seededMethods(IDL: Idl): Record<Exclude<keyof SeededService, keyof IcUploadService>, CandidIDL.FuncClass> {
  const Probe = IDL.Record({
    begin: IDL.Nat64,
    put_chunk: IDL.Nat64,
    finish: IDL.Nat64,
    list_assets_page: IDL.Nat64,
    my_uploads: IDL.Nat64,
    stats: IDL.Nat64,
    delete_asset: IDL.Nat64
  });
  return {
    seed: IDL.Func([IDL.Text, IDL.Nat32, IDL.Nat32], [IDL.Nat32], []),
    seed_asset: IDL.Func([IDL.Text, IDL.Vec(IDL.Text), IDL.Text, IDL.Text], [IDL.Nat32], []),
    probe: IDL.Func([IDL.Text], [Probe], []),
    http_request_instructions: IDL.Func([contractTypes(IDL).HttpRequest], [IDL.Nat64], ['query']),
    set_public_instructions: IDL.Func([IDL.Text, IDL.Bool], [IDL.Nat64], []),
    chunk_digest: IDL.Func([IDL.Nat64, IDL.Nat32], [IDL.Opt(IDL.Vec(IDL.Nat8))], ['query']),
    seed_pieces: IDL.Func([IDL.Text, IDL.Nat32, IDL.Nat32, IDL.Bool], [IDL.Text], [])
  };
}
