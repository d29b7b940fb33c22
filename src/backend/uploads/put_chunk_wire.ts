// put_chunk's argument and reply in Candid without Azle's generic codec, for the shapes every
// client sends and every successful call answers (method_wire.ts says how they sit in front of it).
//
// Why: put_chunk carries up to 2 MB, and Azle's decoder (its bundled @dfinity/candid, in QuickJS)
// allocates, zero-fills and copies the blob about ten times on the way: ≈ 21 instructions per
// uploaded byte (measured on the replica: a 1.9 MB chunk stored into an empty map costs 28.1 per
// byte decoded by Azle, 7.2 decoded here). Encoding the reply builds the type table of the whole
// result type, UploadError's variants included, on every call: ≈ 25 million instructions for a
// few bytes of ChunkAck, 13 per byte of a 1.9 MB chunk. Here the argument is parsed in place
// (the chunk stays a view of the argument) and an Ok reply is the type table plus two numbers.
//
// Only an argument whose type table describes exactly
// `record { upload_id : nat64; index : nat32; bytes : vec nat8 }`, with nothing after its value,
// goes the fast way.
import type { ChunkAck, PutChunkArgs as ContractPutChunkArgs } from '../../../candid/ic_upload.js';
import { parseArgument, recordShape } from '../candid_reader.js';
import type { Result } from '../errors.js';
import { recordWriter } from '../candid_writer.js';
import { methodWire, type MethodCodec } from './method_wire.js';

/** The contract's argument, its chunk as bytes (as both decoders answer it). */
export type PutChunkArgs = Omit<ContractPutChunkArgs, 'bytes'> & { bytes: Uint8Array };

export type PutChunkReply = Result<ChunkAck>;

export type PutChunkCodec = MethodCodec<PutChunkArgs, PutChunkReply>;

const ARGS = recordShape({ upload_id: 'nat64', index: 'nat32', bytes: 'blob' });

/** The fast parse; undefined for anything but the one shape (see the header). */
export function parsePutChunkArgs(arg: Uint8Array): PutChunkArgs | undefined {
  return parseArgument(arg, ARGS);
}

const writeAck = recordWriter<ChunkAck>({ received: (w, v) => w.nat32(v), hashed: (w, v) => w.nat32(v) });

/** The codec put_chunk uses: the fast ways where they apply, `generic` otherwise. */
export function putChunkWire(generic: PutChunkCodec): PutChunkCodec {
  return methodWire(generic, parsePutChunkArgs, { received: 0x9e3779b9, hashed: 0x7f4a7c15 }, writeAck);
}
