// put_chunk's argument and reply in Candid without Azle's generic codec, for the shapes every
// client sends and every successful call answers.
//
// Why: put_chunk carries up to 2 MB, and Azle's decoder (its bundled @dfinity/candid, in QuickJS)
// allocates, zero-fills and copies the blob about ten times on the way: ≈ 21 instructions per
// uploaded byte (measured on the replica: a 1.9 MB chunk stored into an empty map costs 28.1 per
// byte decoded by Azle, 7.2 decoded here). Encoding the reply builds the type table of the whole
// result type, UploadError's variants included, on every call: ≈ 25 million instructions for a
// few bytes of ChunkAck, 13 per byte of a 1.9 MB chunk. Here the argument is parsed in place
// (the chunk stays a view of the argument) and an Ok reply is a template with two numbers
// written in.
//
// Only what this recognizes goes the fast way: an argument whose type table describes exactly
// `record { upload_id : nat64; index : nat32; bytes : vec nat8 }`, with nothing after its value.
// Anything else (more fields, other types, more arguments, any malformation) goes to the generic
// decoder, which answers as before (decodes subtypes, traps on garbage), so the method's
// behaviour is unchanged. Replies other than Ok go through the generic encoder.

import type { ChunkAck, PutChunkArgs as ContractPutChunkArgs } from '../../../candid/ic_upload.js';
import { CANDID_TYPE, CandidReader } from '../candid_reader.js';
import type { Result } from '../errors.js';

/** The contract's argument, its chunk as bytes (as both decoders answer it). */
export type PutChunkArgs = Omit<ContractPutChunkArgs, 'bytes'> & { bytes: Uint8Array };

export type PutChunkReply = Result<ChunkAck>;

/** The generic codec for the two types (Azle's IDL in the canister, any IDL in tests). */
export interface PutChunkCodec {
  decodeArgs(arg: Uint8Array): PutChunkArgs;
  encodeReply(reply: PutChunkReply): Uint8Array;
}

const { record: RECORD, vec: VEC, nat8: NAT8, nat32: NAT32, nat64: NAT64 } = CANDID_TYPE;

/** Candid's field id: the label's UTF-8 bytes folded as h * 223 + b mod 2^32 (the Candid spec, "Records"). */
export function idlHash(label: string): number {
  let h = 0;
  for (const b of new TextEncoder().encode(label)) h = (Math.imul(h, 223) + b) >>> 0;
  return h;
}

const FIELD = { upload_id: idlHash('upload_id'), index: idlHash('index'), bytes: idlHash('bytes') };

type Entry = { kind: 'record'; fields: Array<[number, number]> } | { kind: 'vec'; element: number };

/** The fast parse; undefined for anything but the one shape (see the header). */
export function parsePutChunkArgs(arg: Uint8Array): PutChunkArgs | undefined {
  try {
    const r = new CandidReader(arg);
    if (!r.magic()) return undefined;
    const table: Entry[] = [];
    const entries = r.uleb();
    for (let i = 0; i < entries; i++) {
      const code = r.sleb();
      if (code === VEC) table.push({ kind: 'vec', element: r.sleb() });
      else if (code === RECORD) {
        const fields: Array<[number, number]> = [];
        const n = r.uleb();
        for (let j = 0; j < n; j++) fields.push([r.uleb(), r.sleb()]);
        table.push({ kind: 'record', fields });
      } else return undefined;
    }
    if (r.uleb() !== 1) return undefined;
    const argType = table[r.sleb()];
    if (argType?.kind !== 'record' || argType.fields.length !== 3) return undefined;
    const isBlob = (t: number) => {
      const e = table[t];
      return e?.kind === 'vec' && e.element === NAT8;
    };
    const expected: Record<number, (t: number) => boolean> = {
      [FIELD.upload_id]: (t) => t === NAT64,
      [FIELD.index]: (t) => t === NAT32,
      [FIELD.bytes]: isBlob
    };
    // Fields in the type's order, which Candid requires to be ascending ids: values come in it.
    let previous = -1;
    for (const [id, t] of argType.fields) {
      if (id <= previous || !expected[id]?.(t)) return undefined;
      previous = id;
    }
    let upload_id = 0n;
    let index = 0;
    let bytes: Uint8Array | undefined;
    for (const [id] of argType.fields) {
      if (id === FIELD.upload_id) {
        const b = r.take(8);
        const v = new DataView(b.buffer, b.byteOffset, 8);
        upload_id = v.getBigUint64(0, true);
      } else if (id === FIELD.index) {
        const b = r.take(4);
        index = new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
      } else {
        bytes = r.take(r.uleb());
      }
    }
    if (r.offset !== arg.length || bytes === undefined) return undefined;
    return { upload_id, index, bytes };
  } catch (e) {
    if (e instanceof RangeError) return undefined;
    throw e;
  }
}

/**
 * The codec put_chunk uses: the fast ways where they apply, `generic` otherwise. The Ok reply's
 * template is made once (by the generic encoder, with two marker values whose places it then
 * knows), on the first Ok reply of the heap.
 */
export function putChunkWire(generic: PutChunkCodec): PutChunkCodec {
  let template: { bytes: Uint8Array; received: number; hashed: number } | undefined;
  const makeTemplate = () => {
    const RECEIVED = 0x9e3779b9;
    const HASHED = 0x7f4a7c15;
    const bytes = generic.encodeReply({ Ok: { received: RECEIVED, hashed: HASHED } });
    const place = (marker: number) => {
      const found: number[] = [];
      const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i + 4 <= bytes.length; i++) if (v.getUint32(i, true) === marker) found.push(i);
      return found.length === 1 ? found[0] : undefined;
    };
    const received = place(RECEIVED);
    const hashed = place(HASHED);
    // Always found in Candid's fixed-width nat32 encoding; without them, the generic way stays.
    return received === undefined || hashed === undefined ? undefined : { bytes, received, hashed };
  };
  let tried = false;
  return {
    decodeArgs: (arg) => parsePutChunkArgs(arg) ?? generic.decodeArgs(arg),
    encodeReply: (reply) => {
      if (!('Ok' in reply)) return generic.encodeReply(reply);
      if (!tried) {
        template = makeTemplate();
        tried = true;
      }
      if (template === undefined) return generic.encodeReply(reply);
      const out = template.bytes.slice();
      const v = new DataView(out.buffer);
      v.setUint32(template.received, reply.Ok.received, true);
      v.setUint32(template.hashed, reply.Ok.hashed, true);
      return out;
    }
  };
}
