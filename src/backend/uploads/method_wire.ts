// How a method's own Candid paths (begin_wire.ts, put_chunk_wire.ts, finish_wire.ts,
// upload_id_wire.ts) sit in front of the generic codec: an argument the fast parse recognizes is
// taken from it, anything else goes to the generic decoder (which decodes subtypes and extra
// fields, and traps on garbage, as before); an Ok reply is written by hand after the type table
// the generic encoder made once, and an Err goes through the generic encoder. So a method
// answers exactly as it did with the generic codec alone, at a fraction of the instructions.
import type { Result } from '../errors.js';
import { CandidWriter, replyEncoder, variantIndex } from '../candid_writer.js';

/** A method's argument decoder and reply encoder (Azle's IDL in the canister, any IDL in tests). */
export interface MethodCodec<A, R> {
  decodeArgs(arg: Uint8Array): A;
  encodeReply(reply: R): Uint8Array;
}

const OK = variantIndex(['Ok', 'Err'], 'Ok');

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
  const encodeOk = replyEncoder<T>(
    (value) => generic.encodeReply({ Ok: value }),
    sample,
    (w, value) => writeOk(w.uleb(OK), value)
  );
  return {
    decodeArgs: (arg) => parse(arg) ?? generic.decodeArgs(arg),
    encodeReply: (reply) => ('Ok' in reply ? encodeOk(reply.Ok) : generic.encodeReply(reply))
  };
}
