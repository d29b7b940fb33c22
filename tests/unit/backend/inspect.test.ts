// The argument check made before decoding (by canister_inspect_message and by every method): arguments of the shapes our methods take pass;
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

  it('refuses for queries too, and what plain values would make costly to decode', () => {
    const encode = (types: IDL.Type[], values: unknown[]) => new Uint8Array(IDL.encode(types, values));
    expect(argumentRefusal('stats', encode([], []))).toBeUndefined();
    expect(argumentRefusal('stats', encode([IDL.Vec(IDL.Null)], [[]]))).toMatch(/zero-sized/);
    expect(argumentRefusal('list_assets_page', encode([IDL.Opt(IDL.Text), IDL.Nat32], [['a'], 10]))).toBeUndefined();
    expect(argumentRefusal('list_assets_page', encode([IDL.Opt(IDL.Text), IDL.Nat32, IDL.Nat32], [[], 1, 2]))).toMatch(/3 arguments/);
    // A record whose fields all take no bytes is zero-sized, however it nests.
    const pairOfNulls = IDL.Record({ a: IDL.Null, b: IDL.Record({ c: IDL.Null }) });
    expect(argumentRefusal('get_asset', encode([IDL.Text, IDL.Vec(pairOfNulls)], ['a', []]))).toMatch(/zero-sized/);
    // nat and int values are built a byte at a time; no method takes them.
    expect(argumentRefusal('upload_status', encode([IDL.Nat], [1n]))).toMatch(/nat and int/);
    expect(argumentRefusal('begin', encode([IDL.Record({ extra: IDL.Int })], [{ extra: 1n }]))).toMatch(/nat and int/);
    // A vec of anything but bytes, where the method takes none: skipped element by element.
    expect(argumentRefusal('finish', encode([IDL.Record({ upload_id: IDL.Nat64, junk: IDL.Vec(IDL.Nat16) })], [{ upload_id: 1n, junk: [] }]))).toMatch(
      /takes no vec but of bytes/
    );
    // http_request takes vecs of records (its headers), within its length.
    const request = { method: 'GET', url: '/', headers: [['a', 'b']], body: new Uint8Array(), certificate_version: [] };
    expect(argumentRefusal('http_request', encode([t.HttpRequest], [request]))).toBeUndefined();
    expect(argumentRefusal('http_request', encode([t.HttpRequest], [{ ...request, headers: Array(9_000).fill(['', '']) }]))).toMatch(/takes at most/);
    // Texts somewhat over their limits still decode (and are answered InvalidArgument); far over, refused.
    expect(argumentRefusal('get_asset', encode([IDL.Text], ['a'.repeat(257)]))).toBeUndefined();
    expect(argumentRefusal('get_asset', encode([IDL.Text], ['a'.repeat(2_000)]))).toMatch(/takes at most/);
    expect(argumentRefusal('put_chunk', encode([t.PutChunkArgs], [{ upload_id: 1n, index: 0, bytes: new Uint8Array(2_000_000) }]))).toBeUndefined();
  });

  it('leaves unknown methods to the IC (which rejects them)', () => {
    expect(argumentRefusal('nonexistent', VEC_NULL_22)).toBeUndefined();
  });
});
