// The authentication envelope and request contents of the HTTPS interface (spec "Request: Call",
// "Request: Query call", "Request: Read state", "Authentication"). Wire records (snake_case, as
// decoded from CBOR) are checked field by field and turned into typed requests; the raw `content`
// map is kept because the request id is its representation-independent hash.
import { decodeCbor } from './cbor.js';
import { MalformedRequestError } from './errors.js';
import { requestIdOf } from './request_id.js';

export type RequestType = 'call' | 'query' | 'read_state';

export interface Delegation {
  pubkey: Uint8Array;
  expiration: bigint;
  /** Canister ids the delegation is restricted to; absent means all. */
  targets?: Uint8Array[];
  /** The `delegation` map as received, hashed for the delegation signature. */
  wire: Record<string, unknown>;
}

export interface SignedDelegation {
  delegation: Delegation;
  signature: Uint8Array;
}

interface CommonContent {
  sender: Uint8Array;
  nonce?: Uint8Array;
  ingressExpiry: bigint;
}

export interface CallContent extends CommonContent {
  requestType: 'call' | 'query';
  canisterId: Uint8Array;
  methodName: string;
  arg: Uint8Array;
  /** Present only with canister-signature senders; refused by `auth.ts`. */
  senderInfo?: Record<string, unknown>;
}

export interface ReadStateContent extends CommonContent {
  requestType: 'read_state';
  paths: Uint8Array[][];
}

export type RequestContent = CallContent | ReadStateContent;

export interface Envelope<C extends RequestContent = RequestContent> {
  content: C;
  /** hash_of_map(content), over the map exactly as received. */
  requestId: Uint8Array;
  senderPubkey?: Uint8Array;
  senderSig?: Uint8Array;
  senderDelegation?: SignedDelegation[];
}

/** Spec limits: nonce ≤ 32 bytes, principals ≤ 29 bytes, ≤ 1000 paths of ≤ 127 labels. */
const MAX_NONCE_BYTES = 32;
const MAX_PRINCIPAL_BYTES = 29;
const MAX_PATHS = 1000;
const MAX_PATH_LABELS = 127;

type WireMap = Record<string, unknown>;

function isMap(v: unknown): v is WireMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function blob(map: WireMap, field: string, where: string): Uint8Array {
  const v = map[field];
  if (!(v instanceof Uint8Array)) throw new MalformedRequestError(`${where}: field \`${field}\` must be a blob`);
  return v;
}

function optBlob(map: WireMap, field: string, where: string): Uint8Array | undefined {
  return map[field] === undefined ? undefined : blob(map, field, where);
}

function text(map: WireMap, field: string, where: string): string {
  const v = map[field];
  if (typeof v !== 'string') throw new MalformedRequestError(`${where}: field \`${field}\` must be text`);
  return v;
}

function nat(map: WireMap, field: string, where: string): bigint {
  const v = map[field];
  if (typeof v === 'bigint' && v >= 0n) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw new MalformedRequestError(`${where}: field \`${field}\` must be a nat`);
}

function principal(map: WireMap, field: string, where: string): Uint8Array {
  const v = blob(map, field, where);
  if (v.length > MAX_PRINCIPAL_BYTES) throw new MalformedRequestError(`${where}: \`${field}\` is longer than 29 bytes`);
  return v;
}

function decodeContent(content: WireMap, expected: RequestType): RequestContent {
  const where = 'content';
  const requestType = text(content, 'request_type', where);
  if (requestType !== expected) {
    throw new MalformedRequestError(`Could not parse body as ${expected} message: request_type is "${requestType}"`);
  }
  const nonce = optBlob(content, 'nonce', where);
  if (nonce && nonce.length > MAX_NONCE_BYTES) throw new MalformedRequestError('content: nonce is longer than 32 bytes');
  const common: CommonContent = {
    sender: principal(content, 'sender', where),
    ingressExpiry: nat(content, 'ingress_expiry', where),
    ...(nonce ? { nonce } : {}),
  };
  if (requestType === 'read_state') {
    const paths = content.paths;
    if (!Array.isArray(paths)) throw new MalformedRequestError('content: field `paths` must be an array');
    if (paths.length > MAX_PATHS) throw new MalformedRequestError(`content: more than ${MAX_PATHS} paths`);
    const typed = paths.map((path, i) => {
      if (!Array.isArray(path) || !path.every((l) => l instanceof Uint8Array)) {
        throw new MalformedRequestError(`content: path ${i} must be an array of blobs`);
      }
      if (path.length > MAX_PATH_LABELS) throw new MalformedRequestError(`content: path ${i} has more than 127 labels`);
      return path as Uint8Array[];
    });
    return { requestType, paths: typed, ...common };
  }
  const senderInfo = content.sender_info;
  if (senderInfo !== undefined && !isMap(senderInfo)) throw new MalformedRequestError('content: `sender_info` must be a map');
  return {
    requestType: requestType as 'call' | 'query',
    canisterId: principal(content, 'canister_id', where),
    methodName: text(content, 'method_name', where),
    arg: blob(content, 'arg', where),
    ...(senderInfo ? { senderInfo } : {}),
    ...common,
  };
}

function decodeDelegations(value: unknown): SignedDelegation[] {
  if (!Array.isArray(value)) throw new MalformedRequestError('`sender_delegation` must be an array');
  return value.map((signed, i) => {
    const where = `sender_delegation[${i}]`;
    if (!isMap(signed) || !isMap(signed.delegation)) throw new MalformedRequestError(`${where} must be a map with a \`delegation\` map`);
    const d = signed.delegation;
    let targets: Uint8Array[] | undefined;
    if (d.targets !== undefined) {
      if (!Array.isArray(d.targets) || !d.targets.every((t) => t instanceof Uint8Array)) {
        throw new MalformedRequestError(`${where}.delegation: \`targets\` must be an array of principals`);
      }
      targets = d.targets as Uint8Array[];
    }
    return {
      delegation: {
        pubkey: blob(d, 'pubkey', `${where}.delegation`),
        expiration: nat(d, 'expiration', `${where}.delegation`),
        ...(targets ? { targets } : {}),
        wire: d,
      },
      signature: blob(signed, 'signature', where),
    };
  });
}

/** Decodes and checks an HTTP request body of the given request type. */
export function decodeEnvelope(body: Uint8Array, expected: 'call' | 'query'): Envelope<CallContent>;
export function decodeEnvelope(body: Uint8Array, expected: 'read_state'): Envelope<ReadStateContent>;
export function decodeEnvelope(body: Uint8Array, expected: RequestType): Envelope {
  const envelope = decodeCbor(body);
  if (!isMap(envelope) || !isMap(envelope.content)) {
    throw new MalformedRequestError('Could not parse body: expected an envelope map with a `content` map');
  }
  const content = decodeContent(envelope.content, expected);
  return {
    content,
    requestId: requestIdOf(envelope.content),
    ...(envelope.sender_pubkey !== undefined ? { senderPubkey: blob(envelope, 'sender_pubkey', 'envelope') } : {}),
    ...(envelope.sender_sig !== undefined ? { senderSig: blob(envelope, 'sender_sig', 'envelope') } : {}),
    ...(envelope.sender_delegation !== undefined ? { senderDelegation: decodeDelegations(envelope.sender_delegation) } : {}),
  };
}
