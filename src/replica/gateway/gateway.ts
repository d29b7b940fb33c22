// The local network's HTTP gateway (HTTP Gateway Protocol specification), as dfx's and
// PocketIC's: `http://<canister-id>.localhost:<port>/…` and `…?canisterId=<id>` call the
// canister's `http_request` query, and every response is verified with DFINITY's verifier
// (@dfinity/response-verification) before a byte of it goes out. A body the canister serves as
// 206 pieces is fetched piece by piece (`Range: bytes=N-`), each verified, and streamed as one
// response; a client's `Range` is answered from the pieces that hold it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Principal } from '@icp-sdk/core/principal';
import { verifyRequestResponsePair } from '@dfinity/response-verification';
import type { CallResult, PrincipalBytes } from '../types.js';
import { decodeHttpResponse, encodeHttpRequest, type CanisterHttpRequest, type HeaderField } from './http_candid.js';

/** What the gateway needs from the replica. */
export interface GatewayReplica {
  /** Runs the query `http_request` of `canisterId` (with a data certificate, as the IC offers one). */
  httpRequest(canisterId: PrincipalBytes, arg: Uint8Array): CallResult;
  /** The replica's time: certificates are checked against it. */
  time(): bigint;
}

export interface GatewayOptions {
  replica: GatewayReplica;
  /** DER of the root key that signs the replica's certificates. */
  rootKeyDer: Uint8Array;
}

/** Where a gateway request goes: the canister and the URL (path and query) it is given. */
export interface GatewayTarget {
  canisterId: Principal;
  url: string;
}

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The canister's response failed verification. */
export class ResponseVerificationFailed extends GatewayError {
  constructor(readonly reason: string) {
    super(502, `Response verification failed: ${reason}`);
  }
}

/** The canister rejected the query, or answered what this gateway cannot serve. */
export class CanisterResponseError extends GatewayError {
  constructor(message: string) {
    super(502, message);
  }
}

export class BadGatewayRequest extends GatewayError {
  constructor(message: string) {
    super(400, message);
  }
}

/** How far a certificate's time may be from the replica's: the IC's gateways allow five minutes. */
const MAX_CERTIFICATE_TIME_OFFSET_NS = 300_000_000_000n;
const MAX_REQUEST_BODY_BYTES = 2 * 1024 * 1024;
/** A body of more pieces than this is refused rather than fetched without end. */
const MAX_PIECES = 100_000;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

function parseCanisterId(text: string): Principal | undefined {
  try {
    return Principal.fromText(text);
  } catch {
    return undefined;
  }
}

/**
 * The gateway target of a request, or undefined when it is not one (an `/api/…` call of the IC
 * HTTP interface, or no canister named).
 */
export function gatewayTarget(hostHeader: string | undefined, requestUrl: string): GatewayTarget | undefined {
  const url = new URL(requestUrl, 'http://gateway');
  if (url.pathname.startsWith('/api/')) return undefined;
  const host = (hostHeader ?? '').replace(/:\d+$/, '').toLowerCase();
  const sub = /^([a-z0-9-]+)\.localhost$/.exec(host);
  if (sub) {
    const canisterId = parseCanisterId(sub[1]);
    if (canisterId) return { canisterId, url: url.pathname + url.search };
  }
  const named = url.searchParams.get('canisterId');
  const canisterId = named ? parseCanisterId(named) : undefined;
  if (!canisterId) return undefined;
  // The canister sees its own URL, without the gateway's routing parameter.
  url.searchParams.delete('canisterId');
  return { canisterId, url: url.pathname + (url.searchParams.size > 0 ? url.search : '') };
}

interface VerifiedResponse {
  status: number;
  headers: HeaderField[];
  body: Uint8Array;
}

/** `bytes S-E/T` of a 206 piece. */
function parseContentRange(value: string | undefined): { start: number; end: number; total: number } | undefined {
  const m = value && /^\s*bytes\s+(\d+)-(\d+)\/(\d+)\s*$/i.exec(value);
  if (!m) return undefined;
  const [start, end, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return start <= end && end < total ? { start, end, total } : undefined;
}

/** A client's single `Range: bytes=…` (only the first range of a list is honoured). */
function parseClientRange(value: string | undefined): { start?: number; end?: number; suffix?: number } | undefined {
  const m = value && /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)/i.exec(value);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') return { suffix: Number(m[2]) };
  return { start: Number(m[1]), end: m[2] === '' ? undefined : Number(m[2]) };
}

function headerOf(headers: readonly HeaderField[], name: string): string | undefined {
  for (const [n, v] of headers) if (n.toLowerCase() === name) return v;
  return undefined;
}

export class HttpGateway {
  constructor(private readonly options: GatewayOptions) {}

  /** Serves one gateway request; nothing unverified is ever written to `res`. */
  async handle(req: IncomingMessage, res: ServerResponse, target: GatewayTarget): Promise<void> {
    let streaming = false;
    try {
      const request: CanisterHttpRequest = {
        method: (req.method ?? 'GET').toUpperCase(),
        url: target.url,
        headers: requestHeaders(req),
        body: await readBody(req),
        certificate_version: [2]
      };
      const first = this.fetchVerified(target.canisterId, request);
      const clientRange = request.method === 'GET' ? parseClientRange(headerOf(request.headers, 'range')) : undefined;
      if (first.status === 206 && request.method === 'GET') {
        streaming = true;
        return await this.streamPieces(target.canisterId, request, first, clientRange, res);
      }
      if (first.status === 200 && clientRange) return this.sliceWhole(first, clientRange, res);
      const bodyless = request.method === 'HEAD' || first.status === 304 || first.status === 204;
      res.writeHead(first.status, outgoingHeaders(first.headers, bodyless ? undefined : first.body.length));
      res.end(bodyless ? undefined : first.body);
    } catch (error) {
      // Once a piece has gone out the status is sent: cut the connection so the client sees a
      // broken body, never bytes that were not verified.
      if (streaming && res.headersSent) return void res.destroy(error as Error);
      const status = error instanceof GatewayError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${message}\n`);
    }
  }

  /** Calls `http_request` and verifies the response against the request. */
  fetchVerified(canisterId: Principal, request: CanisterHttpRequest): VerifiedResponse {
    const result = this.options.replica.httpRequest(canisterId.toUint8Array(), encodeHttpRequest(request));
    if (result.kind === 'reject') throw new CanisterResponseError(`The canister rejected http_request: ${result.message}`);
    let response;
    try {
      response = decodeHttpResponse(result.bytes);
    } catch (e) {
      throw new CanisterResponseError(`The canister's http_request reply is not an HttpResponse: ${(e as Error).message}`);
    }
    if (response.streaming) throw new CanisterResponseError('The canister streams its body through callbacks, which this gateway does not verify.');
    if (response.upgrade) throw new CanisterResponseError('The canister asks for an update call (upgrade), which this gateway does not make.');
    let verified;
    try {
      verified = verifyRequestResponsePair(
        { url: request.url, method: request.method, headers: request.headers, body: request.body, certificate_version: request.certificate_version },
        { status_code: response.status_code, headers: response.headers, body: response.body },
        canisterId.toUint8Array(),
        this.options.replica.time(),
        MAX_CERTIFICATE_TIME_OFFSET_NS,
        this.options.rootKeyDer,
        2
      );
    } catch (e) {
      throw new ResponseVerificationFailed((e as { message?: string }).message ?? String(e));
    }
    if (!verified.response) throw new ResponseVerificationFailed('the response certifies no status, headers or body');
    return { status: verified.response.statusCode ?? response.status_code, headers: verified.response.headers, body: verified.response.body };
  }

  /** A 206 piece from the canister: fetch the rest, verify each piece, stream what was asked. */
  private async streamPieces(
    canisterId: Principal,
    request: CanisterHttpRequest,
    first: VerifiedResponse,
    clientRange: ReturnType<typeof parseClientRange>,
    res: ServerResponse
  ): Promise<void> {
    const piece = parseContentRange(headerOf(first.headers, 'content-range'));
    if (!piece || piece.end - piece.start + 1 !== first.body.length) throw new CanisterResponseError('A 206 piece without a Content-Range that matches its body.');
    const { total } = piece;
    let from = 0;
    let to = total - 1;
    if (clientRange) {
      from = clientRange.suffix !== undefined ? Math.max(0, total - clientRange.suffix) : clientRange.start!;
      to = Math.min(total - 1, clientRange.end ?? total - 1);
      if (from > to || from >= total) return unsatisfiable(res, total);
    }
    if (piece.start > from || piece.end < from) throw new CanisterResponseError(`The canister answered bytes ${piece.start}-${piece.end} for a body that starts at ${from}.`);
    const headers = outgoingHeaders(withoutPieceHeaders(first.headers), to - from + 1);
    if (clientRange) headers['content-range'] = `bytes ${from}-${to}/${total}`;
    res.writeHead(clientRange ? 206 : 200, headers);
    let current = { ...piece, body: first.body };
    for (let count = 1; ; count++) {
      const sliceStart = Math.max(from, current.start) - current.start;
      const sliceEnd = Math.min(to, current.end) - current.start + 1;
      if (!res.write(current.body.subarray(sliceStart, sliceEnd))) await new Promise((resolve) => res.once('drain', resolve));
      if (current.end >= to) break;
      if (count >= MAX_PIECES) throw new CanisterResponseError(`More than ${MAX_PIECES} pieces.`);
      const next = current.end + 1;
      const pieceRequest = { ...request, headers: [...request.headers.filter(([n]) => n.toLowerCase() !== 'range'), ['range', `bytes=${next}-`] as HeaderField] };
      const verified = this.fetchVerified(canisterId, pieceRequest);
      const range = parseContentRange(headerOf(verified.headers, 'content-range'));
      if (verified.status !== 206 || !range || range.start !== next || range.total !== total || range.end - range.start + 1 !== verified.body.length) {
        throw new CanisterResponseError(`The piece at ${next} does not continue the body.`);
      }
      current = { ...range, body: verified.body };
    }
    res.end();
  }

  /** A client's Range on a body the canister sent whole. */
  private sliceWhole(whole: VerifiedResponse, range: NonNullable<ReturnType<typeof parseClientRange>>, res: ServerResponse): void {
    const total = whole.body.length;
    const from = range.suffix !== undefined ? Math.max(0, total - range.suffix) : range.start!;
    const to = Math.min(total - 1, range.end ?? total - 1);
    if (from > to || from >= total) return unsatisfiable(res, total);
    const headers = outgoingHeaders(withoutPieceHeaders(whole.headers), to - from + 1);
    headers['content-range'] = `bytes ${from}-${to}/${total}`;
    res.writeHead(206, headers).end(whole.body.subarray(from, to + 1));
  }
}

/** An assembled body is not the piece the certificate covers: its piece headers go. */
function withoutPieceHeaders(headers: readonly HeaderField[]): HeaderField[] {
  const drop = new Set(['content-range', 'ic-certificate', 'ic-certificateexpression']);
  return headers.filter(([n]) => !drop.has(n.toLowerCase()));
}

function unsatisfiable(res: ServerResponse, total: number): void {
  res.writeHead(416, { 'content-range': `bytes */${total}`, 'content-type': 'text/plain; charset=utf-8' }).end('Range Not Satisfiable\n');
}

/** The verified headers as Node writes them, with the length of what is actually sent. */
function outgoingHeaders(headers: readonly HeaderField[], length: number | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    if (HOP_BY_HOP.has(key) || (key === 'content-length' && length !== undefined)) continue;
    const previous = out[key];
    out[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  if (length !== undefined) out['content-length'] = String(length);
  return out;
}

function requestHeaders(req: IncomingMessage): HeaderField[] {
  const out: HeaderField[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (!HOP_BY_HOP.has(req.rawHeaders[i].toLowerCase())) out.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BODY_BYTES) throw new BadGatewayRequest(`Request body over ${MAX_REQUEST_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
