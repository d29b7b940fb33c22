// put_chunk's own Candid paths (src/backend/uploads/put_chunk_wire.ts) against the generic codec
// with the contract's types: whatever the fast parse accepts it decodes as IDL.decode does, what
// it does not recognize goes to the generic decoder, and a reply is byte for byte IDL.encode's.
import { IDL } from '@icp-sdk/core/candid';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contractTypes } from '../../../candid/ic_upload.js';
import { idlHash } from '../../../src/backend/candid_reader.js';
import { parsePutChunkArgs, putChunkWire, type PutChunkArgs, type PutChunkReply } from '../../../src/backend/uploads/put_chunk_wire.js';

const t = contractTypes(IDL);
const encodeArgs = (a: PutChunkArgs) => new Uint8Array(IDL.encode([t.PutChunkArgs], [{ ...a }]));
const generic = {
  calls: { decode: 0, encode: 0 },
  decodeArgs(arg: Uint8Array): PutChunkArgs {
    this.calls.decode++;
    const [v] = IDL.decode([t.PutChunkArgs], arg) as unknown as [PutChunkArgs];
    return { ...v, bytes: Uint8Array.from(v.bytes) };
  },
  encodeReply(reply: PutChunkReply): Uint8Array {
    this.calls.encode++;
    return new Uint8Array(IDL.encode([t.PutChunkResult], [reply]));
  }
};

const args = fc.record({
  upload_id: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  index: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  bytes: fc.uint8Array({ maxLength: 300 })
});

describe('put_chunk argument', () => {
  it('decodes what agent-js encodes, as IDL.decode does, the chunk a view of the argument', () => {
    fc.assert(
      fc.property(args, (a) => {
        const arg = encodeArgs(a);
        const fast = parsePutChunkArgs(arg)!;
        expect(fast.upload_id).toBe(a.upload_id);
        expect(fast.index).toBe(a.index);
        expect(Array.from(fast.bytes)).toEqual(Array.from(a.bytes));
        expect(fast.bytes.buffer).toBe(arg.buffer);
      })
    );
  });

  it('decodes a 1.9 MB chunk and a hand-written table in another order (vec first, multi-byte LEB)', () => {
    const big = encodeArgs({ upload_id: 7n, index: 3, bytes: new Uint8Array(1_900_000).fill(9) });
    expect(parsePutChunkArgs(big)!.bytes.length).toBe(1_900_000);
    const leb = (n: number) => {
      const out: number[] = [];
      do {
        out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
        n = Math.floor(n / 128);
      } while (n > 0);
      return out;
    };
    const fields = [
      [idlHash('upload_id'), 0x78],
      [idlHash('index'), 0x79],
      [idlHash('bytes'), 0x00]
    ].sort((x, y) => x[0] - y[0]);
    const values: number[] = [];
    for (const [id] of fields) {
      if (id === idlHash('upload_id')) values.push(1, 0, 0, 0, 0, 0, 0, 0);
      else if (id === idlHash('index')) values.push(5, 0, 0, 0);
      else values.push(0x83, 0x00, 1, 2, 3); // length 3 in a two-byte LEB
    }
    const arg = Uint8Array.from([
      ...[0x44, 0x49, 0x44, 0x4c, 2],
      ...[0x6d, 0x7b], // 0: vec nat8
      ...[0x6c, 3, ...fields.flatMap(([id, ty]) => [...leb(id), ty])], // 1: the record
      ...[1, 1],
      ...values
    ]);
    const fast = parsePutChunkArgs(arg)!;
    expect(fast).toBeDefined();
    expect([fast.upload_id, fast.index, Array.from(fast.bytes)]).toEqual([1n, 5, [1, 2, 3]]);
    const [viaIdl] = IDL.decode([t.PutChunkArgs], arg) as unknown as [PutChunkArgs];
    expect(viaIdl.upload_id).toBe(1n);
  });

  it('leaves every other shape to the generic decoder', () => {
    const a = { upload_id: 1n, index: 2, bytes: Uint8Array.of(1, 2, 3) };
    const arg = encodeArgs(a);
    const extraField = new Uint8Array(
      IDL.encode([IDL.Record({ upload_id: IDL.Nat64, index: IDL.Nat32, bytes: IDL.Vec(IDL.Nat8), note: IDL.Text })], [{ ...a, note: 'x' }])
    );
    const natIndex = new Uint8Array(IDL.encode([IDL.Record({ upload_id: IDL.Nat64, index: IDL.Nat, bytes: IDL.Vec(IDL.Nat8) })], [{ ...a, index: 2n }]));
    const twoArgs = new Uint8Array(IDL.encode([t.PutChunkArgs, IDL.Nat8], [a, 1]));
    const vecNat16 = new Uint8Array(IDL.encode([IDL.Record({ upload_id: IDL.Nat64, index: IDL.Nat32, bytes: IDL.Vec(IDL.Nat16) })], [{ ...a, bytes: [1, 2, 3] }]));
    const trailing = Uint8Array.from([...arg, 0]);
    const badMagic = Uint8Array.from(arg).fill(0x45, 0, 1);
    for (const other of [extraField, natIndex, twoArgs, vecNat16, trailing, badMagic, arg.subarray(0, arg.length - 1), new Uint8Array(0)]) {
      expect(parsePutChunkArgs(other)).toBeUndefined();
    }
    const wire = putChunkWire(generic);
    const before = generic.calls.decode;
    const decoded = wire.decodeArgs(extraField);
    expect(generic.calls.decode).toBe(before + 1);
    expect([decoded.upload_id, decoded.index, Array.from(decoded.bytes)]).toEqual([1n, 2, [1, 2, 3]]);
    expect(() => wire.decodeArgs(trailing)).toThrow();
    wire.decodeArgs(arg);
    expect(generic.calls.decode).toBe(before + 2);
  });
});

describe('put_chunk reply', () => {
  it('an Ok reply and an Err are IDL.encode byte for byte, without the generic encoder after the type table', () => {
    const wire = putChunkWire(generic);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (received, hashed) => {
        const reply = { Ok: { received, hashed } };
        expect(Array.from(wire.encodeReply(reply))).toEqual(Array.from(new Uint8Array(IDL.encode([t.PutChunkResult], [reply]))));
      })
    );
    const encodes = generic.calls.encode;
    wire.encodeReply({ Ok: { received: 1, hashed: 1 } });
    expect(generic.calls.encode).toBe(encodes); // the type table, taken once
    const err: PutChunkReply = { Err: { ChunkConflict: { index: 4 } } };
    expect(Array.from(wire.encodeReply(err))).toEqual(Array.from(new Uint8Array(IDL.encode([t.PutChunkResult], [err]))));
    expect(generic.calls.encode).toBe(encodes);
  });
});
