// How a method's own Candid paths (begin_wire.ts, put_chunk_wire.ts, finish_wire.ts,
// upload_id_wire.ts, blob_info_wire.ts, get_asset_wire.ts) sit in front of the generic codec: an
// argument the fast parse recognizes is taken from it, anything else goes to the generic decoder
// (which decodes subtypes and extra fields, and traps on garbage, as before); a reply, Ok or Err,
// is written by hand after the type table the generic encoder made once, as the codec was made.
// So a method answers exactly as it did with the generic codec alone, at a fraction of the
// instructions.
import type { UploadError } from '../../../candid/ic_upload.js';
import type { Result } from '../errors.js';
import { CandidWriter, recordWriter, replyEncoder, variantWriter, type VariantLabel } from '../candid_writer.js';

/** A method's argument decoder and reply encoder (Azle's IDL in the canister, any IDL in tests). */
export interface MethodCodec<A, R> {
  decodeArgs(arg: Uint8Array): A;
  encodeReply(reply: R): Uint8Array;
}

const text = (w: CandidWriter, v: string) => w.text(v);
const nat32 = (w: CandidWriter, v: number) => w.nat32(v);
const blob = (w: CandidWriter, v: Uint8Array | number[]) => w.blob(v instanceof Uint8Array ? v : Uint8Array.from(v));
type Payload<L extends VariantLabel<UploadError>> = Extract<UploadError, Record<L, unknown>>[L];

/** The contract's Error. */
export const writeUploadError = variantWriter<UploadError>({
  InvalidArgument: text,
  NotFound: text,
  Forbidden: text,
  InvalidState: text,
  LimitExceeded: text,
  ChunkOutOfRange: recordWriter<Payload<'ChunkOutOfRange'>>({ index: nat32, chunk_count: nat32 }),
  ChunkSizeMismatch: recordWriter<Payload<'ChunkSizeMismatch'>>({ index: nat32, expected: nat32, actual: nat32 }),
  ChunkConflict: recordWriter<Payload<'ChunkConflict'>>({ index: nat32 }),
  Incomplete: recordWriter<Payload<'Incomplete'>>({ missing: (w, v) => w.nat32s(v) }),
  HashMismatch: recordWriter<Payload<'HashMismatch'>>({ expected: blob, actual: blob }),
  HashPending: recordWriter<Payload<'HashPending'>>({ hashed: nat32, chunk_count: nat32 })
});

/**
 * `generic` with the fast ways in front: `parse` (undefined for what it does not recognize), and
 * `writeOk`, which writes an Ok value as Candid; `sample` is an Ok value with every field set to
 * something distinct, to check the type table taken from the generic encoder.
 */
export function methodWire<A, T>(
  generic: MethodCodec<A, Result<T>>,
  parse: (arg: Uint8Array) => A | undefined,
  sample: T,
  writeOk: (w: CandidWriter, value: T) => void
): MethodCodec<A, Result<T>> {
  const writeResult = variantWriter<Result<T>>({ Ok: writeOk, Err: writeUploadError });
  const encode = replyEncoder((reply: Result<T>) => generic.encodeReply(reply), { Ok: sample }, writeResult);
  return {
    decodeArgs: (arg) => parse(arg) ?? generic.decodeArgs(arg),
    encodeReply: encode
  };
}
