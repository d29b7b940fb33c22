// begin's argument and reply in Candid without Azle's generic codec (method_wire.ts): the
// argument when its type is exactly the contract's BeginArgs, every optional field present or
// not (agent-js sends all nine fields, the absent ones as `null`), and an Ok reply.
//
// Why: measured on the replica for a begin of a 10 KB file, Azle's IDL spent 7.7 million
// instructions decoding the argument and 26.5 million encoding the reply, against 3.9 million
// for the service itself.
import type { BeginArgs as ContractBeginArgs, BeginOk } from '../../../candid/ic_upload.js';
import { parseArgument, recordShape } from '../candid_reader.js';
import { recordWriter } from '../candid_writer.js';
import type { Result } from '../errors.js';
import { methodWire, type MethodCodec } from './method_wire.js';

/** The contract's argument, its optional bytes as bytes (as both decoders answer them). */
export type BeginArgs = Omit<ContractBeginArgs, 'sha256' | 'idempotency_key'> & {
  sha256: [] | [Uint8Array];
  idempotency_key: [] | [Uint8Array];
};

export type BeginReply = Result<BeginOk>;

export type BeginCodec = MethodCodec<BeginArgs, BeginReply>;

const ARGS = recordShape({
  asset_id: 'text',
  variant: 'text',
  file_name: 'text',
  content_type: 'text',
  size: 'nat64',
  chunk_size: 'nat32',
  sha256: 'opt blob',
  idempotency_key: 'opt blob',
  public: 'opt bool'
});

/** The fast parse; undefined for any other shape. Texts are strings, blobs views of `arg`. */
export function parseBeginArgs(arg: Uint8Array): BeginArgs | undefined {
  return parseArgument(arg, ARGS);
}

const writeBeginOk = recordWriter<BeginOk>({
  upload_id: (w, v) => w.nat64(v),
  chunk_count: (w, v) => w.nat32(v),
  expires_at_ns: (w, v) => w.nat64(v)
});

export function beginWire(generic: BeginCodec): BeginCodec {
  return methodWire(generic, parseBeginArgs, { upload_id: 0x0123456789abcdefn, chunk_count: 0x9e3779b9, expires_at_ns: 0xfedcba9876543210n }, writeBeginOk);
}
