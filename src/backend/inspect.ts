// The cheap argument check, made before any Candid decoding: by canister_inspect_message for
// ingress updates (before consensus, at no cost to the canister, with a 200-million-instruction
// limit), and by every method of the API layer itself (index.ts) for what inspection never sees —
// queries and calls from other canisters. Azle's Candid decoder walks every element of a `vec`
// even when elements take no bytes: a 22-byte argument ending in `vec null` of 2^24 elements
// burns an update's whole 40-billion limit (a query's 5 billion). So this reads only the
// argument's header — the type table and the argument types, a few bytes — and its length, and
// refuses: arguments longer than the method can need; more arguments than it has; types none of
// our methods take (func and service references, reserved/empty, `nat`/`int`, whose values
// Azle's decoder builds a byte at a time); a `vec` of zero-sized elements; and, for methods that
// take no `vec` but blobs, any other `vec` (a record field the method does not have is still
// decoded element by element to skip it). This is not a decoder: values are not read.
import { MAX_CHUNK_BYTES_CEILING } from './init_args.js';
import { ASSET_ID_MAX_BYTES, CONTENT_TYPE_MAX_BYTES, FILE_NAME_MAX_BYTES, VARIANT_MAX_BYTES } from './model/limits.js';
import { CANDID_TYPE, CandidReader } from './candid_reader.js';

const T = CANDID_TYPE;

interface ArgumentShape {
  /** Arguments the method takes. */
  arity: number;
  /** The longest argument it can need, framing included. */
  maxBytes: number;
  /** Whether a `vec` of anything but bytes is taken (http_request's headers, a list of variants). */
  vecs: boolean;
  update: boolean;
}

/**
 * Decoding is not cheap even for plain values (measured on the replica: a text ≈ 50,000
 * instructions a byte, an HTTP header ≈ 345,000), so each method's argument may be only somewhat
 * longer than its longest valid one: twice its texts at their maximum lengths plus this much for
 * ids, digests, flags and framing. A text a little too long still decodes and is answered
 * `InvalidArgument`; one far too long is refused here.
 */
const FRAMING = 1024;
const ASSET_ID_ARG = 2 * ASSET_ID_MAX_BYTES + FRAMING;
const BEGIN_ARG = 2 * (ASSET_ID_MAX_BYTES + VARIANT_MAX_BYTES + FILE_NAME_MAX_BYTES + CONTENT_TYPE_MAX_BYTES) + FRAMING;
/** An HTTP request's line and headers: 16 KiB, Node's own default limit on a request's headers. */
const HTTP_REQUEST_ARG = 16 * 1024;

const shape = (arity: number, maxBytes: number, update: boolean, vecs = false): ArgumentShape => ({ arity, maxBytes, vecs, update });

/** Every method of ours (the test canister's extra updates included, so inspection covers them). */
const METHODS: Record<string, ArgumentShape> = {
  begin: shape(1, BEGIN_ARG, true),
  put_chunk: shape(1, MAX_CHUNK_BYTES_CEILING + FRAMING, true),
  finish: shape(1, FRAMING, true),
  abort: shape(1, FRAMING, true),
  delete_asset: shape(1, ASSET_ID_ARG, true),
  set_public: shape(2, ASSET_ID_ARG, true),
  upload_status: shape(1, FRAMING, false),
  my_uploads: shape(0, FRAMING, false),
  blob_info: shape(1, FRAMING, false),
  read_chunk: shape(2, FRAMING, false),
  get_asset: shape(1, ASSET_ID_ARG, false),
  list_assets: shape(2, ASSET_ID_ARG, false),
  list_assets_page: shape(2, ASSET_ID_ARG, false),
  http_request: shape(1, HTTP_REQUEST_ARG, false, true),
  limits: shape(0, FRAMING, false),
  stats: shape(0, FRAMING, false),
  seed: shape(3, ASSET_ID_ARG, true),
  probe: shape(1, ASSET_ID_ARG, true),
  set_public_instructions: shape(2, ASSET_ID_ARG, true)
};

export function isUpdateMethod(method: string): boolean {
  return METHODS[method]?.update === true;
}

class Refusal extends Error {}

/** A type table entry as far as the check needs it. */
type Entry = { op: typeof T.opt | typeof T.vec; inner: number } | { op: typeof T.record | typeof T.variant; fields: number[] };

/** A type reference (an entry's index, or a primitive's opcode) our methods may take. */
function checkReference(type: number, entries: number): void {
  if (type >= entries) throw new Refusal('type index out of range');
  if (type === T.nat || type === T.int) throw new Refusal('nat and int are taken by no method');
  if (type === T.reserved || type === T.empty || type === T.func || type === T.service) throw new Refusal(`type ${type} is taken by no method`);
}

/**
 * Whether a value of the type takes no bytes: null, reserved, empty, and records whose fields all
 * take none.
 * A record that contains itself only through records has no finite value: treated as zero-sized.
 */
function zeroSized(type: number, table: Entry[], visiting = new Set<number>()): boolean {
  if (type === T.null || type === T.reserved || type === T.empty) return true;
  if (type < 0 || type >= table.length) return false;
  const entry = table[type]!;
  if (entry.op !== T.record) return false;
  if (visiting.has(type)) return true;
  visiting.add(type);
  const result = entry.fields.every((field) => zeroSized(field, table, visiting));
  visiting.delete(type);
  return result;
}

/**
 * Answers why the argument must be refused, or undefined when its header and length are of
 * shapes the method takes (and for methods not ours: the IC answers those). Cost: a few
 * thousand instructions per type-table entry, never per value.
 */
export function argumentRefusal(method: string, arg: Uint8Array): string | undefined {
  const expected = METHODS[method];
  if (expected === undefined) return undefined;
  if (arg.length > expected.maxBytes) return `${arg.length} bytes, ${method} takes at most ${expected.maxBytes}`;
  try {
    const c = new CandidReader(arg);
    if (!c.magic()) return 'not Candid';
    const count = c.uleb();
    if (count > 64) return 'type table too large';
    const table: Entry[] = [];
    for (let i = 0; i < count; i++) {
      const op = c.sleb();
      if (op === T.opt || op === T.vec) table.push({ op, inner: c.sleb() });
      else if (op === T.record || op === T.variant) {
        const n = c.uleb();
        if (n > 64) return 'too many fields';
        const fields: number[] = [];
        for (let f = 0; f < n; f++) {
          c.uleb();
          fields.push(c.sleb());
        }
        table.push({ op, fields });
      } else return `type ${op} is taken by no method`;
    }
    for (const entry of table) {
      if (entry.op !== T.vec) continue;
      if (zeroSized(entry.inner, table)) return 'vec of zero-sized elements';
      if (!expected.vecs && entry.inner !== T.nat8) return `${method} takes no vec but of bytes`;
    }
    for (const entry of table) {
      for (const reference of 'fields' in entry ? entry.fields : [entry.inner]) checkReference(reference, count);
    }
    const args = c.uleb();
    if (args > expected.arity) return `${args} arguments, ${method} takes ${expected.arity}`;
    for (let i = 0; i < args; i++) checkReference(c.sleb(), count);
    return undefined;
  } catch (error) {
    return error instanceof Refusal ? error.message : 'malformed header';
  }
}
