// canister_inspect_message's header check: arguments of the shapes our methods take pass;
// cheap-to-send, costly-to-decode ones are refused before any value is read.
import { IDL } from '@icp-sdk/core/candid';
import { describe, expect, it } from 'vitest';
import { contractTypes } from '../../../candid/ic_upload.js';
import { argumentRefusal } from '../../../src/backend/inspect.js';

const t = contractTypes(IDL);
const bytes = (...parts: number[][]) => Uint8Array.from(parts.flat());
const DIDL = [0x44, 0x49, 0x44, 0x4c];

/** abort(nat64) followed by a trailing `vec null` of 2^24 elements: 22 bytes. */
export const VEC_NULL_22 = bytes(DIDL, [0x01, 0x6d, 0x7f], [0x02, 0x78, 0x00], [1, 0, 0, 0, 0, 0, 0, 0], [0x80, 0x80, 0x80, 0x08]);

describe('argumentRefusal', () => {
  it('passes the arguments of every update as agent-js encodes them', () => {
    const begin = {
      asset_id: 'a',
      variant: 'original',
      file_name: 'f',
      content_type: '',
      size: 1n,
      chunk_size: 1,
      sha256: [new Uint8Array(32)],
      idempotency_key: [Uint8Array.of(1)],
      public: [true]
    };
    expect(argumentRefusal('begin', new Uint8Array(IDL.encode([t.BeginArgs], [begin])))).toBeUndefined();
    expect(argumentRefusal('put_chunk', new Uint8Array(IDL.encode([t.PutChunkArgs], [{ upload_id: 1n, index: 0, bytes: new Uint8Array(100) }])))).toBeUndefined();
    expect(argumentRefusal('finish', new Uint8Array(IDL.encode([t.FinishArgs], [{ upload_id: 1n, sha256: [] }])))).toBeUndefined();
    expect(argumentRefusal('abort', new Uint8Array(IDL.encode([IDL.Nat64], [1n])))).toBeUndefined();
    expect(argumentRefusal('set_public', new Uint8Array(IDL.encode([IDL.Text, IDL.Bool], ['a', true])))).toBeUndefined();
    expect(argumentRefusal('delete_asset', new Uint8Array(IDL.encode([IDL.Text], ['a'])))).toBeUndefined();
  });

  it('refuses a trailing vec null of 2^24 elements, and other zero-sized vecs, funcs and extra arguments', () => {
    expect(VEC_NULL_22.length).toBe(22);
    expect(argumentRefusal('abort', VEC_NULL_22)).toMatch(/zero-sized/);
    expect(argumentRefusal('abort', new Uint8Array(IDL.encode([IDL.Nat64, IDL.Vec(IDL.Reserved)], [1n, []])))).toMatch(/zero-sized/);
    expect(argumentRefusal('abort', new Uint8Array(IDL.encode([IDL.Nat64, IDL.Vec(IDL.Record({}))], [1n, []])))).toMatch(/zero-sized/);
    expect(argumentRefusal('abort', new Uint8Array(IDL.encode([IDL.Nat64, IDL.Nat64], [1n, 2n])))).toMatch(/2 arguments/);
    // A func reference type (opcode 0x6a: no arguments, results or annotations).
    expect(argumentRefusal('abort', bytes(DIDL, [0x01, 0x6a, 0x00, 0x00, 0x00], [0x01, 0x00]))).toMatch(/taken by no method/);
    expect(argumentRefusal('abort', bytes([0x00, 0x01]))).toBe('not Candid');
    expect(argumentRefusal('abort', bytes(DIDL, [0x80, 0x80]))).toBe('malformed header');
  });

  it('leaves unknown methods to the IC (which rejects them) and queries are never inspected', () => {
    expect(argumentRefusal('nonexistent', VEC_NULL_22)).toBeUndefined();
  });
});
