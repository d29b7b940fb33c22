// The IC HTTP interface of the embedded replica (spec "HTTPS Interface"), on node:http. Every
// route decodes the envelope, authenticates it at replica time, then drives the replica through
// its domain interface (`ReplicaInstance`); responses are CBOR with the self-describe tag,
// certified by the root key (calls, read_state) or signed by the node key (queries).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPrivateKey, sign } from 'node:crypto';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { Principal } from '@icp-sdk/core/principal';
import type { CallResult, CanisterCall, ReplicaInstance } from '../types.js';
import { authenticate, type Authenticated } from './auth.js';
import { encodeCbor } from './cbor.js';
import { loadBls12381 } from '../../shared/bls12_381.js';
import { certify } from './certificate.js';
import { decodeEnvelope, type CallContent, type Envelope } from './envelope.js';
import { HttpInterfaceError, MalformedRequestError, NotFoundError, PayloadTooLargeError } from './errors.js';
import { ed25519SecretKeyToPkcs8 } from './der.js';
import { type LabeledTree, witness } from './hash_tree.js';
import { gatewayTarget, HttpGateway } from '../gateway/gateway.js';
import type { ReplicaKeys } from './keys.js';
import { compareBytes, hashOfMap } from './request_id.js';
import {
  buildStateTree,
  type CanisterMetadataSource,
  errorCodeText,
  type IngressRecord,
  type ReadStateScope,
  selectPaths,
  type StateSelection,
} from './state_tree.js';

/** The IC's HTTP body limit (`max_request_size_bytes`, 5 MiB). */
export const MAX_REQUEST_BODY_BYTES = 5 * 1024 * 1024;
/** `max_ingress_bytes_per_message` of an application subnet (2 MiB). */
export const MAX_INGRESS_BYTES_PER_MESSAGE = 2 * 1024 * 1024;
export const IC_RESPONSE_DOMAIN_SEPARATOR = utf8ToBytes('\x0Bic-response');
const IC_API_VERSION = '0.18.0';
const IMPL_VERSION = 'ic-upload embedded replica';
/** How long request statuses stay readable past their ingress expiry (spec: at least until expiry). */
const INGRESS_RETENTION_NANOS = 5n * 60n * 1_000_000_000n;
/** The history is scanned for records to forget at most this often. */
const FORGET_SCAN_INTERVAL_NANOS = 1_000_000_000n;
const MANAGEMENT_CANISTER = new Uint8Array(0);
const ANONYMOUS = Uint8Array.of(0x04);

export interface HttpInterfaceOptions {
  replica: ReplicaInstance & Partial<CanisterMetadataSource>;
  keys: ReplicaKeys;
  /**
   * Resolves once everything executed so far is durable (the local network's state folder);
   * a synchronous call is answered only after it, so a reply the caller saw survives a kill.
   */
  durable?: () => Promise<void>;
  /**
   * The interface's memory of the ingress messages it accepted, by request id (hex). It is what
   * refuses a replayed request, so a replica that keeps state across restarts passes one it
   * persists with that state; each record is kept until its expiry has long passed.
   */
  ingressHistory?: Map<string, IngressRecord>;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
}

export interface HttpInterface {
  /** `http://<host>:<port>`, ready for `HttpAgent.create({ host })`. */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

type Route =
  | { kind: 'status' }
  | { kind: 'call'; mode: 'async' | 'sync'; ecid: Uint8Array }
  | { kind: 'query'; ecid: Uint8Array }
  | { kind: 'read_state'; scope: ReadStateScope; version: 'v2' | 'v3' };

/** Ids of recent URLs: a client names the same canister in every request (parsing checks a CRC). */
const parsedPrincipals = new Map<string, Uint8Array>();
const PARSED_PRINCIPALS = 64;

function parsePrincipal(textual: string, what: string): Uint8Array {
  const known = parsedPrincipals.get(textual);
  if (known) return known.slice();
  let bytes: Uint8Array;
  try {
    bytes = Principal.fromText(textual).toUint8Array();
  } catch {
    throw new MalformedRequestError(`Invalid ${what} in URL: ${textual}`);
  }
  if (parsedPrincipals.size >= PARSED_PRINCIPALS) parsedPrincipals.clear();
  parsedPrincipals.set(textual, bytes.slice());
  return bytes;
}

function route(method: string, pathname: string): Route {
  if (method === 'GET' && pathname === '/api/v2/status') return { kind: 'status' };
  const m = /^\/api\/(v[234])\/(canister|subnet)\/([^/]+)\/(call|query|read_state)$/.exec(pathname);
  if (method !== 'POST' || !m) throw new NotFoundError(`No route for ${method} ${pathname}`);
  const [, versionText, target, id, endpoint] = m;
  const version = versionText as 'v2' | 'v3' | 'v4';
  if (target === 'subnet' && endpoint === 'read_state' && version !== 'v4') {
    return { kind: 'read_state', scope: { kind: 'subnet', subnetId: parsePrincipal(id, 'effective subnet id') }, version: version as 'v2' | 'v3' };
  }
  if (target === 'canister') {
    const ecid = parsePrincipal(id, 'effective canister id');
    if (endpoint === 'call') return { kind: 'call', mode: version === 'v2' ? 'async' : 'sync', ecid };
    if (endpoint === 'query' && version !== 'v4') return { kind: 'query', ecid };
    if (endpoint === 'read_state' && version !== 'v4') {
      return { kind: 'read_state', scope: { kind: 'canister', effectiveCanisterId: ecid }, version: version as 'v2' | 'v3' };
    }
  }
  throw new NotFoundError(`No route for ${method} ${pathname}`);
}

/** Reads the body up to the limit; past it, drains the rest and reports 413 as the IC does. */
async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_REQUEST_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_REQUEST_BODY_BYTES || declared > MAX_REQUEST_BODY_BYTES) {
    throw new PayloadTooLargeError(`Request body is too large: ${size} bytes, the limit is ${MAX_REQUEST_BODY_BYTES} bytes.`);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** Reject errors the replica throws at submission (`IngressRejectedError`): reject + error code. */
function asSubmissionReject(error: unknown): { rejectCode: number; errorCode: number; message: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { rejectCode?: unknown; errorCode?: unknown; message?: unknown };
  if (typeof e.rejectCode === 'number' && typeof e.errorCode === 'number' && typeof e.message === 'string') {
    return { rejectCode: e.rejectCode, errorCode: e.errorCode, message: e.message };
  }
  return undefined;
}

export async function startHttpInterface(options: HttpInterfaceOptions): Promise<HttpInterface> {
  const { replica, keys } = options;
  const host = options.host ?? '127.0.0.1';
  await loadBls12381(); // every certificate is signed on it from now on (certificate.ts)
  const metadata: CanisterMetadataSource | undefined =
    typeof replica.canisterMetadata === 'function' ? (replica as CanisterMetadataSource) : undefined;
  /** Ingress messages this interface accepted, by request id (hex), for request_status reads. */
  const ingress = options.ingressHistory ?? new Map<string, IngressRecord>();

  /**
   * Until when `ingress` is not scanned for records to forget: its earliest record's due time,
   * and at least a second ahead. It holds every call of the last ten minutes or so, and under a
   * steady stream of calls some record falls due at nearly every call: a scan per second keeps
   * that cost flat. Forgetting a record up to a second late keeps a replay refused that long.
   */
  let nothingDueUntil = -1n;
  function forgetExpired(now: bigint): void {
    if (now <= nothingDueUntil) return;
    let earliest: bigint | undefined;
    for (const [id, record] of ingress) {
      const due = record.ingressExpiry + INGRESS_RETENTION_NANOS;
      if (due < now) ingress.delete(id);
      else if (earliest === undefined || due < earliest) earliest = due;
    }
    const soonest = now + FORGET_SCAN_INTERVAL_NANOS;
    nothingDueUntil = earliest !== undefined && earliest > soonest ? earliest : soonest;
  }
  function remember(requestIdHex: string, record: IngressRecord): void {
    ingress.set(requestIdHex, record);
    const due = record.ingressExpiry + INGRESS_RETENTION_NANOS;
    if (due < nothingDueUntil) nothingDueUntil = due;
  }

  function stateTree(selection: StateSelection, now: bigint): LabeledTree {
    return buildStateTree(replica, keys, ingress, selection, metadata, now);
  }

  /** A certificate revealing `time` and `paths` of `tree`, signed by the root key. */
  function certificateOf(tree: LabeledTree, paths: Uint8Array[][]): Uint8Array {
    return certify(witness(tree, [[utf8ToBytes('time')], ...paths]), keys.rootSecretKey);
  }

  function checkEffectiveCanisterId(content: CallContent, ecid: Uint8Array): void {
    // The IC refuses canister_id ≠ effective canister id except for the management canister,
    // because boundary nodes route and filter by the URL.
    if (content.canisterId.length !== 0 && compareBytes(content.canisterId, ecid) !== 0) {
      throw new MalformedRequestError(
        `Specified CanisterId ${Principal.fromUint8Array(content.canisterId).toText()} does not match effective canister id in URL ${Principal.fromUint8Array(ecid).toText()}`,
      );
    }
    const { start, end } = replica.canisterRange();
    if (compareBytes(ecid, start) < 0 || compareBytes(ecid, end) > 0) {
      throw new MalformedRequestError(
        `Effective canister id ${Principal.fromUint8Array(ecid).toText()} does not belong to the canister ranges of this subnet.`,
      );
    }
  }

  function toCall(content: CallContent, who: Authenticated, ecid: Uint8Array): CanisterCall {
    return {
      sender: who.sender,
      canisterId: content.canisterId,
      method: content.methodName,
      payload: content.arg,
      ...(compareBytes(content.canisterId, MANAGEMENT_CANISTER) === 0 ? { effectiveCanisterId: ecid } : {}),
    };
  }

  function handleCall(body: Uint8Array, mode: 'async' | 'sync', ecid: Uint8Array): { status: number; body?: unknown; certifies?: Uint8Array } {
    const envelope = decodeEnvelope(body, 'call');
    checkEffectiveCanisterId(envelope.content, ecid);
    const requestIdHex = Buffer.from(envelope.requestId).toString('hex');
    if (body.length > MAX_INGRESS_BYTES_PER_MESSAGE) {
      throw new PayloadTooLargeError(
        `Request 0x${requestIdHex} is too large. Message byte size ${body.length} is larger than the max allowed ${MAX_INGRESS_BYTES_PER_MESSAGE}.`,
      );
    }
    const now = replica.time();
    const who = authenticate(envelope, now);
    forgetExpired(now);
    // A resubmitted identical request is the same message: the IC keeps one copy of it, and one
    // whose result was already forgotten is `done` — it never executes again.
    const known = ingress.has(requestIdHex) || replica.ingressStatus(envelope.requestId) !== undefined;
    if (!known) {
      try {
        replica.submitIngress(toCall(envelope.content, who, ecid), envelope.requestId);
      } catch (error) {
        const reject = asSubmissionReject(error);
        if (!reject) throw error;
        const fields = { error_code: errorCodeText(reject.errorCode), reject_code: reject.rejectCode, reject_message: reject.message };
        return { status: 200, body: mode === 'sync' ? { status: 'non_replicated_rejection', ...fields } : fields };
      }
    }
    remember(requestIdHex, { sender: who.sender, receiver: envelope.content.canisterId, ingressExpiry: envelope.content.ingressExpiry });
    if (mode === 'async') return { status: 202 };
    if (!replica.ingressStatus(envelope.requestId)) return { status: 200, certifies: envelope.requestId };
    try {
      replica.awaitIngress(envelope.requestId);
    } catch (error) {
      // The spec's "implementation-specific timeout": while the message is still in flight the
      // sync endpoints answer 202 and the client polls read_state, as agent-js does.
      if (replica.ingressStatus(envelope.requestId)?.kind === 'processing') return { status: 202 };
      throw error;
    }
    return { status: 200, certifies: envelope.requestId };
  }

  /**
   * Synchronous calls completing together are answered together: once what they changed is
   * durable, one state tree holds all their statuses and each answer is a witness of its own
   * path in it — so the whole batch costs one tree and one BLS signature (`certify` reuses it),
   * and the client one check of it.
   */
  let batch: { ids: Uint8Array[]; answered: Promise<LabeledTree> } | undefined;
  function answerTogether(requestId: Uint8Array): Promise<LabeledTree> {
    if (!batch) {
      const ids: Uint8Array[] = [];
      const open = {
        ids,
        answered: (options.durable?.() ?? Promise.resolve()).then(() => {
          if (batch === open) batch = undefined;
          return stateTree({ requestIds: ids, canisterIds: [], metadata: [] }, replica.time());
        }),
      };
      batch = open;
    }
    batch.ids.push(requestId);
    return batch.answered;
  }

  async function callAnswer(requestId: Uint8Array): Promise<unknown> {
    const tree = await answerTogether(requestId);
    return { status: 'replied', certificate: certificateOf(tree, [[utf8ToBytes('request_status'), requestId]]) };
  }

  // The node key signs every query answer: through node:crypto, ≈ 0.3 ms where noble took ≈ 2 ms.
  const nodeKey = createPrivateKey({ key: Buffer.from(ed25519SecretKeyToPkcs8(keys.nodeSecretKey)), format: 'der', type: 'pkcs8' });
  function signQueryResponse(fields: Record<string, unknown>, requestId: Uint8Array, timestamp: bigint) {
    const hash = hashOfMap({ ...fields, timestamp, request_id: requestId });
    const signature = new Uint8Array(sign(null, concatBytes(IC_RESPONSE_DOMAIN_SEPARATOR, hash), nodeKey));
    return [{ timestamp, signature, identity: keys.nodeId }];
  }

  function handleQuery(body: Uint8Array, ecid: Uint8Array): unknown {
    const envelope: Envelope<CallContent> = decodeEnvelope(body, 'query');
    checkEffectiveCanisterId(envelope.content, ecid);
    const who = authenticate(envelope, replica.time());
    const result: CallResult = replica.query(toCall(envelope.content, who, ecid));
    const fields =
      result.kind === 'reply'
        ? { status: 'replied', reply: { arg: result.bytes } }
        : { status: 'rejected', reject_code: result.rejectCode, reject_message: result.message, error_code: errorCodeText(result.errorCode) };
    return { ...fields, signatures: signQueryResponse(fields, envelope.requestId, replica.time()) };
  }

  function handleReadState(body: Uint8Array, scope: ReadStateScope): unknown {
    const envelope = decodeEnvelope(body, 'read_state');
    if (scope.kind === 'subnet' && compareBytes(scope.subnetId, keys.subnetId) !== 0 && compareBytes(scope.subnetId, replica.subnetId()) !== 0) {
      throw new NotFoundError(`Subnet ${Principal.fromUint8Array(scope.subnetId).toText()} is not known to this replica.`);
    }
    const now = replica.time();
    const who = authenticate(envelope, now);
    const { paths } = envelope.content;
    const selection = selectPaths(paths, who, scope, ingress, metadata, (id) => replica.controllers(id));
    return { certificate: certificateOf(stateTree(selection, now), paths) };
  }

  function respond(res: ServerResponse, status: number, body?: unknown): void {
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    const bytes = encodeCbor(body);
    res.writeHead(status, { 'content-type': 'application/cbor', 'content-length': bytes.length }).end(bytes);
  }

  function fail(res: ServerResponse, status: number, message: string): void {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(message);
  }

  // The HTTP gateway shares the port, as dfx's does: `<id>.localhost` or `?canisterId=<id>`.
  const gateway = new HttpGateway({
    replica: {
      httpRequest: (canisterId, payload) => replica.query({ sender: ANONYMOUS, canisterId, method: 'http_request', payload }),
      time: () => replica.time(),
    },
    rootKeyDer: keys.rootKeyDer,
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const gatewayRequest = gatewayTarget(req.headers.host, req.url ?? '/');
    if (gatewayRequest) return gateway.handle(req, res, gatewayRequest);
    // CORS as the replica's `cors_layer`: any origin, GET and POST, these request headers; a
    // preflight is cached for two hours, or a browser would send one before every call.
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-methods', 'GET, POST');
    res.setHeader('access-control-allow-headers', 'authorization, accept, content-type');
    if (req.method === 'OPTIONS') return void res.writeHead(200, { 'access-control-max-age': '7200' }).end();
    try {
      const target = route(req.method ?? 'GET', new URL(req.url ?? '/', 'http://replica').pathname);
      if (target.kind === 'status') {
        return respond(res, 200, {
          ic_api_version: IC_API_VERSION,
          impl_version: IMPL_VERSION,
          root_key: keys.rootKeyDer,
          replica_health_status: 'healthy',
        });
      }
      const body = await readBody(req);
      if ((req.headers['content-type'] ?? '').toLowerCase() !== 'application/cbor') {
        throw new MalformedRequestError('Unexpected content-type, expected application/cbor.');
      }
      switch (target.kind) {
        case 'call': {
          const out = handleCall(body, target.mode, target.ecid);
          if (out.certifies) return respond(res, 200, await callAnswer(out.certifies));
          if (out.status === 200 && options.durable) await options.durable();
          return respond(res, out.status, out.body);
        }
        case 'query':
          return respond(res, 200, handleQuery(body, target.ecid));
        case 'read_state':
          // A status read is an answer too: what it certifies must be on disk first (a call
          // executed a moment ago may wait in the commit being written).
          if (options.durable) await options.durable();
          return respond(res, 200, handleReadState(body, target.scope));
      }
    } catch (error) {
      if (error instanceof HttpInterfaceError) return fail(res, error.status, error.message);
      const name = (error as Error)?.name;
      // The replica's BadIngressError: malformed for the replica, reported as the IC's 400.
      if (name === 'BadIngressError') return fail(res, 400, (error as Error).message);
      return fail(res, 500, `Internal error: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
