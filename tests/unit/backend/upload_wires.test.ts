// begin's, finish's, abort's, upload_status's, blob_info's and get_asset's own Candid paths (src/backend/uploads/*_wire.ts,
// on candid_reader.ts and candid_writer.ts) against @icp-sdk/core's IDL with the contract's types:
// what the fast parse accepts decodes as IDL.decode does; what it does not recognize goes to the
// generic decoder and decodes (or fails) as it would there; an Ok reply is IDL.encode's byte for
// byte, and so is every Err.
import { IDL as Idl3 } from '@dfinity/candid';
import { Principal as Principal3 } from '@dfinity/principal';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contractTypes, type UploadError } from '../../../candid/ic_upload.js';
import { CANDID_TYPE, CandidReader, idlHash } from '../../../src/backend/candid_reader.js';
import { CandidWriter, replyEncoder } from '../../../src/backend/candid_writer.js';
import { beginWire, parseBeginArgs, type BeginArgs, type BeginReply } from '../../../src/backend/uploads/begin_wire.js';
import { blobInfoWire, type WireBlobInfo } from '../../../src/backend/uploads/blob_info_wire.js';
import { finishWire, parseFinishArgs, type FinishArgs, type FinishReply } from '../../../src/backend/uploads/finish_wire.js';
import { getAssetWire, type WireAsset } from '../../../src/backend/uploads/get_asset_wire.js';
import type { MethodCodec } from '../../../src/backend/uploads/method_wire.js';
import { abortWire, parseUploadId, uploadStatusWire, type WireUploadStatus } from '../../../src/backend/uploads/upload_id_wire.js';
import type { Result } from '../../../src/backend/errors.js';

const t = contractTypes(IDL);
const bytes = (b: ArrayBuffer | Uint8Array) => new Uint8Array(b);
/** Blobs and typed arrays as plain arrays, so decoded values compare whichever decoder made them. */
const plain = (v: unknown): unknown => {
  if (v instanceof Uint8Array || v instanceof Uint32Array) return Array.from(v);
  if (v instanceof Principal) return { principal: v.toText() };
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
};
const withPrincipal = <V extends { owner: Uint8Array }>(v: V) => ({ ...v, owner: Principal.fromUint8Array(v.owner) });
const mapOk = <T, U>(r: Result<T>, f: (v: T) => U): Result<U> => ('Ok' in r ? { Ok: f(r.Ok) } : r);

/** The generic codec as index.ts builds it, with agent-js's IDL, counting its calls. */
function generic<A, R>(arg: IDL.Type[], ret: IDL.Type, toArgs: (decoded: unknown[]) => A, toReply: (r: R) => unknown) {
  const calls = { decode: 0, encode: 0 };
  const codec: MethodCodec<A, R> = {
    decodeArgs: (a) => {
      calls.decode++;
      return toArgs(IDL.decode(arg, a));
    },
    encodeReply: (r) => {
      calls.encode++;
      return bytes(IDL.encode([ret], [toReply(r)]));
    }
  };
  return { codec, calls };
}
const optView = (v: unknown) => (v as [] | [Uint8Array | number[]]).map((b) => Uint8Array.from(b)) as [] | [Uint8Array];

const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
/** ASCII, any Unicode (astral planes, a leading BOM), and long enough for multi-byte lengths. */
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', minLength: 120, maxLength: 400 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }).map((s) => `\uFEFF${s}`),
  fc.constantFrom('', 'a', 'ünïcödé', '名前.png', '🎉🎉', 'x'.repeat(1024))
);
const blob = (max: number) => fc.uint8Array({ maxLength: max });
/** fc.record's objects have no prototype, which agent-js's encoder needs. */
const rec = <T extends object>(a: fc.Arbitrary<T>) => a.map((v) => ({ ...v }));
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined }).map((v): [] | [T] => (v === undefined ? [] : [v]));

const beginArgs: fc.Arbitrary<BeginArgs> = rec(fc.record({
  asset_id: text,
  variant: text,
  file_name: text,
  content_type: text,
  size: u64,
  chunk_size: u32,
  sha256: opt(blob(40)),
  idempotency_key: opt(blob(300)),
  public: opt(fc.boolean())
}));
const finishArgs: fc.Arbitrary<FinishArgs> = rec(fc.record({ upload_id: u64, sha256: opt(blob(300)) }));
const owner = blob(29);
const blobInfo: fc.Arbitrary<WireBlobInfo> = rec(fc.record({
  blob_id: u64,
  owner,
  asset_id: text,
  variant: text,
  file_name: text,
  content_type: text,
  size: u64,
  sha256: blob(300),
  chunk_size: u32,
  chunk_count: u32,
  created_at_ns: u64
}));
const uploadStatus: fc.Arbitrary<WireUploadStatus> = rec(fc.record({
  upload_id: u64,
  owner,
  asset_id: text,
  variant: text,
  size: u64,
  chunk_size: u32,
  chunk_count: u32,
  received: fc.array(u32, { maxLength: 200 }).map((a) => Uint32Array.from(a)),
  hashed: u32,
  state: fc.oneof(fc.constant({ Open: null }), fc.constant({ Aborted: null }), u64.map((b) => ({ Finished: b }))),
  expires_at_ns: u64
}));
/** Every case of the contract's Error, `missing` as a plain array and as a Uint32Array. */
const uploadError: fc.Arbitrary<UploadError> = fc.oneof(
  text.map((s) => ({ InvalidArgument: s })),
  text.map((s) => ({ NotFound: s })),
  text.map((s) => ({ Forbidden: s })),
  text.map((s) => ({ InvalidState: s })),
  text.map((s) => ({ LimitExceeded: s })),
  rec(fc.record({ index: u32, chunk_count: u32 })).map((v) => ({ ChunkOutOfRange: v })),
  rec(fc.record({ index: u32, expected: u32, actual: u32 })).map((v) => ({ ChunkSizeMismatch: v })),
  u32.map((index) => ({ ChunkConflict: { index } })),
  fc.array(u32, { maxLength: 100 }).map((missing) => ({ Incomplete: { missing } })),
  fc.array(u32, { maxLength: 100 }).map((missing) => ({ Incomplete: { missing: Uint32Array.from(missing) } })),
  rec(fc.record({ expected: blob(32), actual: blob(32) })).map((v) => ({ HashMismatch: v })),
  rec(fc.record({ hashed: u32, chunk_count: u32 })).map((v) => ({ HashPending: v }))
);

/** Every Err reply of `result` is IDL.encode's byte for byte, and none costs a generic encoding. */
function errorsMatch<A>(codec: MethodCodec<A, Result<never>>, result: IDL.Type, calls: { encode: number }) {
  const before = calls.encode;
  fc.assert(
    fc.property(uploadError, (e) => {
      expect(Array.from(codec.encodeReply({ Err: e }))).toEqual(Array.from(bytes(IDL.encode([result], [{ Err: e }]))));
    }),
    { numRuns: 300 }
  );
  expect(calls.encode).toBe(before);
}

/** Where the values start: past the magic, the type table and the argument types. */
function valuesOffset(arg: Uint8Array): number {
  const r = new CandidReader(arg);
  r.magic();
  for (let i = r.uleb(); i > 0; i--) {
    const code = r.sleb();
    if (code === CANDID_TYPE.record) for (let n = r.uleb(); n > 0; n--) (r.uleb(), r.sleb());
    else r.sleb(); // opt and vec: one type
  }
  for (let n = r.uleb(); n > 0; n--) r.sleb();
  return r.offset;
}
/** The generic encodings the type table is taken and checked from: one Ok sample (method_wire.ts). */
const SAMPLES = 1;
const leb = (n: number) => Array.from(new CandidWriter().uleb(n).finish());
const DIDL = [0x44, 0x49, 0x44, 0x4c];

describe('begin', () => {
  const g = generic<BeginArgs, BeginReply>([t.BeginArgs], t.BeginResult, ([a]) => {
    const v = a as BeginArgs;
    return { ...v, sha256: optView(v.sha256), idempotency_key: optView(v.idempotency_key) };
  }, (r) => r);
  const wire = beginWire(g.codec);
  const encode = (a: BeginArgs) => bytes(IDL.encode([t.BeginArgs], [a]));

  it('decodes what agent-js encodes, every optional field present or absent, as IDL.decode does', () => {
    fc.assert(
      fc.property(beginArgs, (a) => {
        const arg = encode(a);
        const fast = parseBeginArgs(arg);
        expect(fast).toBeDefined();
        expect(plain(fast)).toEqual(plain(IDL.decode([t.BeginArgs], arg)[0]));
        for (const o of [fast!.sha256, fast!.idempotency_key]) if (o.length === 1) expect(o[0].buffer).toBe(arg.buffer);
      }),
      { numRuns: 300 }
    );
    const before = g.calls.decode;
    wire.decodeArgs(encode({ asset_id: 'a', variant: 'v', file_name: '', content_type: '', size: 1n, chunk_size: 1, sha256: [], idempotency_key: [], public: [] }));
    expect(g.calls.decode).toBe(before);
  });

  it('decodes the same type in another table layout (record first, shared entries last)', () => {
    fc.assert(
      fc.property(beginArgs, (a) => {
        const agent = encode(a);
        const values = agent.subarray(valuesOffset(agent));
        const fields: Array<[string, number]> = [
          ['asset_id', CANDID_TYPE.text], ['variant', CANDID_TYPE.text], ['file_name', CANDID_TYPE.text], ['content_type', CANDID_TYPE.text],
          ['size', CANDID_TYPE.nat64], ['chunk_size', CANDID_TYPE.nat32], ['sha256', 2], ['idempotency_key', 3], ['public', 1]
        ];
        const ids = fields.map(([label, ty]): [number, number] => [idlHash(label), ty]).sort((x, y) => x[0] - y[0]);
        const arg = Uint8Array.from([
          ...DIDL, 5,
          0x6c, ...leb(9), ...ids.flatMap(([id, ty]) => [...leb(id), ty & 0x7f]), // 0: the record
          0x6e, 0x7e, // 1: opt bool
          0x6e, 4, // 2: opt vec nat8
          0x6e, 4, // 3: the same again, its own entry
          0x6d, 0x7b, // 4: vec nat8
          1, 0,
          ...values
        ]);
        expect(plain(parseBeginArgs(arg))).toEqual(plain(IDL.decode([t.BeginArgs], arg)[0]));
      }),
      { numRuns: 50 }
    );
  });

  it('leaves other shapes to the generic decoder: extra fields, missing options, more arguments, other types, damage', () => {
    const a: BeginArgs = { asset_id: 'a', variant: 'v', file_name: 'f', content_type: 'c', size: 5n, chunk_size: 7, sha256: [Uint8Array.of(1)], idempotency_key: [], public: [true] };
    const { public: _public, ...withoutPublic } = a;
    const newer = bytes(IDL.encode([IDL.Record({ ...Object.fromEntries(t.BeginArgs._fields), note: IDL.Text })], [{ ...a, note: 'from a newer client' }]));
    const older = bytes(IDL.encode([IDL.Record(Object.fromEntries(t.BeginArgs._fields.filter(([k]) => k !== 'public')))], [withoutPublic]));
    const twoArgs = bytes(IDL.encode([t.BeginArgs, IDL.Text], [a, 'more']));
    for (const [arg, expected] of [
      [newer, a],
      [older, { ...a, public: [] }],
      [twoArgs, a]
    ] as const) {
      expect(parseBeginArgs(arg)).toBeUndefined();
      const before = g.calls.decode;
      expect(plain(wire.decodeArgs(arg))).toEqual(plain(expected));
      expect(g.calls.decode).toBe(before + 1);
    }
    // Values come in field-id order: …, content_type, public, file_name, asset_id, …
    const arg = encode({ ...a, content_type: '<content-type>', asset_id: '<asset-id>' });
    const find = (text: string) => Buffer.from(arg).indexOf(Buffer.from(text));
    const natSize = bytes(IDL.encode([IDL.Record({ ...Object.fromEntries(t.BeginArgs._fields), size: IDL.Nat })], [{ ...a, size: 5n }]));
    const notUtf8 = Uint8Array.from(arg);
    notUtf8[find('<asset-id>')] = 0xff;
    const loneContinuation = Uint8Array.from(arg);
    loneContinuation[find('<asset-id>') + 1] = 0x80;
    const optTagTwo = Uint8Array.from(arg);
    optTagTwo[find('<content-type>') + 14] = 2; // public's opt tag
    const flagTwo = Uint8Array.from(arg);
    flagTwo[find('<content-type>') + 15] = 2; // public's `true` as 2
    expect(plain(IDL.decode([t.BeginArgs], flagTwo.with(find('<content-type>') + 15, 0))[0])).toEqual(plain({ ...a, content_type: '<content-type>', asset_id: '<asset-id>', public: [false] }));
    // Decoded by neither: the fast parse leaves them, and the generic decoder refuses them as before.
    for (const bad of [natSize, notUtf8, loneContinuation, flagTwo, optTagTwo, Uint8Array.from([...arg, 0]), arg.subarray(0, arg.length - 1)]) {
      expect(parseBeginArgs(bad)).toBeUndefined();
      expect(() => wire.decodeArgs(bad)).toThrow();
    }
  });

  it('an Ok reply and every Err is IDL.encode byte for byte; the generic encoder makes only the type table', () => {
    fc.assert(
      fc.property(rec(fc.record({ upload_id: u64, chunk_count: u32, expires_at_ns: u64 })), (ok) => {
        const out = wire.encodeReply({ Ok: ok });
        expect(Array.from(out)).toEqual(Array.from(bytes(IDL.encode([t.BeginResult], [{ Ok: ok }]))));
        expect(IDL.decode([t.BeginResult], out)[0]).toEqual({ Ok: ok });
      })
    );
    expect(g.calls.encode).toBe(SAMPLES); // the sample, as the codec was made
    errorsMatch(wire, t.BeginResult, g.calls);
  });
});

describe('finish', () => {
  const g = generic<FinishArgs, FinishReply>([t.FinishArgs], t.FinishResult, ([a]) => {
    const v = a as FinishArgs;
    return { ...v, sha256: optView(v.sha256) };
  }, (r) => mapOk(r, withPrincipal));
  const wire = finishWire(g.codec);

  it('decodes what agent-js encodes, with and without the digest, as IDL.decode does', () => {
    fc.assert(
      fc.property(finishArgs, (a) => {
        const arg = bytes(IDL.encode([t.FinishArgs], [a]));
        expect(plain(parseFinishArgs(arg))).toEqual(plain(IDL.decode([t.FinishArgs], arg)[0]));
        expect(plain(wire.decodeArgs(arg))).toEqual(plain(a));
      }),
      { numRuns: 200 }
    );
    expect(g.calls.decode).toBe(0);
  });

  it('leaves an extra field, a missing digest and a blob of another type to the generic decoder', () => {
    const a: FinishArgs = { upload_id: 9n, sha256: [Uint8Array.of(1, 2)] };
    const newer = bytes(IDL.encode([IDL.Record({ upload_id: IDL.Nat64, sha256: IDL.Opt(IDL.Vec(IDL.Nat8)), note: IDL.Opt(IDL.Text) })], [{ ...a, note: ['x'] }]));
    const older = bytes(IDL.encode([IDL.Record({ upload_id: IDL.Nat64 })], [{ upload_id: 9n }]));
    for (const [arg, expected] of [[newer, a], [older, { upload_id: 9n, sha256: [] }]] as const) {
      expect(parseFinishArgs(arg)).toBeUndefined();
      const before = g.calls.decode;
      expect(plain(wire.decodeArgs(arg))).toEqual(plain(expected));
      expect(g.calls.decode).toBe(before + 1);
    }
    const vecNat16 = bytes(IDL.encode([IDL.Record({ upload_id: IDL.Nat64, sha256: IDL.Opt(IDL.Vec(IDL.Nat16)) })], [{ upload_id: 9n, sha256: [[1, 2]] }]));
    expect(parseFinishArgs(vecNat16)).toBeUndefined();
  });

  it('an Ok reply (a BlobInfo) and every Err is IDL.encode byte for byte', () => {
    fc.assert(
      fc.property(blobInfo, (info) => {
        const out = wire.encodeReply({ Ok: info });
        const expected = { Ok: withPrincipal(info) };
        expect(Array.from(out)).toEqual(Array.from(bytes(IDL.encode([t.FinishResult], [expected]))));
      }),
      { numRuns: 300 }
    );
    expect(g.calls.encode).toBe(SAMPLES);
    errorsMatch(wire, t.FinishResult, g.calls);
  });
});

describe('abort and upload_status', () => {
  const ga = generic<bigint, Result<null>>([t.UploadId], t.UnitResult, ([id]) => id as bigint, (r) => r);
  const abort = abortWire(ga.codec);
  const gs = generic<bigint, Result<WireUploadStatus>>([t.UploadId], t.UploadStatusResult, ([id]) => id as bigint, (r) => mapOk(r, withPrincipal));
  const status = uploadStatusWire(gs.codec);

  it('a lone nat64 is parsed here; more arguments or another type go to the generic decoder', () => {
    fc.assert(
      fc.property(u64, (id) => {
        const arg = bytes(IDL.encode([t.UploadId], [id]));
        expect(parseUploadId(arg)).toBe(id);
        expect(abort.decodeArgs(arg)).toBe(id);
      })
    );
    expect(ga.calls.decode).toBe(0);
    const twoArgs = bytes(IDL.encode([IDL.Nat64, IDL.Text], [5n, 'x']));
    expect(parseUploadId(twoArgs)).toBeUndefined();
    expect(status.decodeArgs(twoArgs)).toBe(5n);
    expect(gs.calls.decode).toBe(1);
    const nat32 = bytes(IDL.encode([IDL.Nat32], [5]));
    expect(parseUploadId(nat32)).toBeUndefined();
    expect(() => abort.decodeArgs(nat32)).toThrow();
  });

  it("abort's Ok and upload_status's Ok (every state, many indexes) are IDL.encode byte for byte", () => {
    expect(Array.from(abort.encodeReply({ Ok: null }))).toEqual(Array.from(bytes(IDL.encode([t.UnitResult], [{ Ok: null }]))));
    fc.assert(
      fc.property(uploadStatus, (s) => {
        const out = status.encodeReply({ Ok: s });
        const expected = { Ok: withPrincipal(s) };
        expect(Array.from(out)).toEqual(Array.from(bytes(IDL.encode([t.UploadStatusResult], [expected]))));
      }),
      { numRuns: 300 }
    );
    expect(gs.calls.encode).toBe(SAMPLES);
    errorsMatch(abort, t.UnitResult, ga.calls);
    errorsMatch(status, t.UploadStatusResult, gs.calls);
  });
});

describe('blob_info and get_asset', () => {
  const gb = generic<bigint, Result<WireBlobInfo>>([t.BlobId], t.BlobInfoResult, ([id]) => id as bigint, (r) => mapOk(r, withPrincipal));
  const blobInfoCodec = blobInfoWire(gb.codec);
  const asAzle = (a: WireAsset) => ({ ...withPrincipal(a), variants: a.variants.map(([v, b]) => [v, withPrincipal(b)]) });
  const gg = generic<string, Result<WireAsset>>([IDL.Text], t.AssetResult, ([id]) => id as string, (r) => mapOk(r, asAzle));
  const getAsset = getAssetWire(gg.codec);
  const asset: fc.Arbitrary<WireAsset> = rec(
    fc.record({ asset_id: text, owner, variants: fc.array(fc.tuple(text, blobInfo), { maxLength: 4 }), public: fc.boolean() })
  );

  it("get_asset's text argument is parsed here, as IDL.decode does (a leading BOM dropped); two arguments go generic", () => {
    fc.assert(
      fc.property(text, (id) => {
        const arg = bytes(IDL.encode([IDL.Text], [id]));
        expect(getAsset.decodeArgs(arg)).toBe(IDL.decode([IDL.Text], arg)[0]);
      }),
      { numRuns: 300 }
    );
    expect(gg.calls.decode).toBe(0);
    expect(getAsset.decodeArgs(bytes(IDL.encode([IDL.Text, IDL.Nat8], ['a', 1])))).toBe('a');
    expect(gg.calls.decode).toBe(1);
  });

  it('their replies, an Asset of several variants, a BlobInfo, every Err, are IDL.encode byte for byte', () => {
    fc.assert(
      fc.property(asset, (a) => {
        expect(Array.from(getAsset.encodeReply({ Ok: a }))).toEqual(Array.from(bytes(IDL.encode([t.AssetResult], [{ Ok: asAzle(a) }]))));
      }),
      { numRuns: 200 }
    );
    fc.assert(
      fc.property(blobInfo, (b) => {
        expect(Array.from(blobInfoCodec.encodeReply({ Ok: b }))).toEqual(Array.from(bytes(IDL.encode([t.BlobInfoResult], [{ Ok: withPrincipal(b) }]))));
      }),
      { numRuns: 100 }
    );
    expect([gg.calls.encode, gb.calls.encode]).toEqual([SAMPLES, SAMPLES]);
    errorsMatch(getAsset, t.AssetResult, gg.calls);
    errorsMatch(blobInfoCodec, t.BlobInfoResult, gb.calls);
  });
});

describe("with Azle's Candid library", () => {
  // The canister's generic codec is Azle's IDL, @dfinity/candid 3.4.3 (the version resolved when
  // the canister is built): its type tables must be what the writers expect, or the canister
  // silently keeps the slow path. agent-js 3 decodes the canister's replies with it too.
  it('every codec takes its type table from it, and answers it byte for byte', () => {
    const t3 = contractTypes(Idl3 as unknown as typeof IDL);
    const encode3 = (type: IDL.Type, v: unknown) => bytes(Idl3.encode([type as unknown as Idl3.Type], [v]));
    const withPrincipal3 = <V extends { owner: Uint8Array }>(v: V) => ({ ...v, owner: Principal3.fromUint8Array(v.owner) });
    const info = fc.sample(blobInfo, { numRuns: 1, seed: 7 })[0]!;
    const status = fc.sample(uploadStatus, { numRuns: 1, seed: 7 })[0]!;
    const cases: Array<[string, IDL.Type, (codec: MethodCodec<never, Result<never>>) => MethodCodec<never, Result<never>>, unknown, (v: never) => unknown]> = [
      ['begin', t3.BeginResult, (c) => beginWire(c as never) as never, { upload_id: 1n, chunk_count: 2, expires_at_ns: 3n }, (v) => v],
      ['finish', t3.FinishResult, (c) => finishWire(c as never) as never, info, (v) => withPrincipal3(v)],
      ['abort', t3.UnitResult, (c) => abortWire(c as never) as never, null, (v) => v],
      ['upload_status', t3.UploadStatusResult, (c) => uploadStatusWire(c as never) as never, status, (v) => withPrincipal3(v)],
      ['blob_info', t3.BlobInfoResult, (c) => blobInfoWire(c as never) as never, info, (v) => withPrincipal3(v)],
      [
        'get_asset',
        t3.AssetResult,
        (c) => getAssetWire(c as never) as never,
        { asset_id: 'a', owner: Uint8Array.of(1), variants: [['original', info]], public: false } satisfies WireAsset,
        (v: WireAsset) => ({ ...withPrincipal3(v), variants: v.variants.map(([k, b]) => [k, withPrincipal3(b)]) })
      ]
    ];
    for (const [, type, wire, ok, toIdl] of cases) {
      let encodes = 0;
      const toReply = (r: Result<never>) => ('Ok' in r ? { Ok: toIdl(r.Ok) } : r);
      const codec = wire({
        decodeArgs: () => {
          throw new Error('not used');
        },
        encodeReply: (r) => {
          encodes++;
          return encode3(type, toReply(r));
        }
      });
      const err: Result<never> = { Err: { Incomplete: { missing: [1, 2] } } };
      expect(Array.from(codec.encodeReply({ Ok: ok as never }))).toEqual(Array.from(encode3(type, toReply({ Ok: ok as never }))));
      expect(Array.from(codec.encodeReply(err))).toEqual(Array.from(encode3(type, err)));
      expect(encodes).toBe(1); // the sample, as the codec was made: none for the replies
    }
  });
});

describe('replyEncoder', () => {
  it("keeps the generic encoder when its bytes do not end with what the writer writes for the sample", () => {
    // A reply type whose fields the writer would put in the other order: never taken as a prefix.
    const type = IDL.Record({ a: IDL.Nat32, b: IDL.Nat32 });
    let calls = 0;
    const genericEncode = (v: { a: number; b: number }) => {
      calls++;
      return bytes(IDL.encode([type], [v]));
    };
    const wrongOrder = replyEncoder(genericEncode, { a: 1, b: 2 }, (w, v) => w.nat32(v.b).nat32(v.a));
    expect(Array.from(wrongOrder({ a: 3, b: 4 }))).toEqual(Array.from(bytes(IDL.encode([type], [{ a: 3, b: 4 }]))));
    expect(calls).toBe(2); // the sample, then the reply itself
    const right = replyEncoder(genericEncode, { a: 1, b: 2 }, (w, v) => w.nat32(v.a).nat32(v.b));
    right({ a: 3, b: 4 });
    right({ a: 5, b: 6 });
    expect(calls).toBe(3);
  });
});
