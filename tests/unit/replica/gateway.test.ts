// The local network's HTTP gateway in front of a canister answering `http_request` with the
// certified responses of src/backend/http (over Candid, as the replica passes them): plain
// fetch sees verified bodies, 206 pieces stitched into one body, client ranges, HEAD and 304;
// a response changed on its way from the canister is a 502, never its bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sha256 } from '@noble/hashes/sha2.js';
import { gatewayTarget, HttpGateway } from '../../../src/replica/gateway/gateway.js';
import { decodeHttpRequest, encodeHttpResponse } from '../../../src/replica/gateway/http_candid.js';
import type { HttpResponse } from '../../../src/backend/http/asset_http.js';
import { CANISTER_ID, CertifiedCanister, NOW_NS, ROOT_KEY_DER, variantOf } from '../../support/http_certification.js';
import { pseudoRandomBytes } from '../../support/bytes.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const canister = new CertifiedCanister();
const small = pseudoRandomBytes(10_240, 11);
const large = pseudoRandomBytes(25_000, 12); // 13 pieces of 2,000 bytes
canister.put('files/small.txt', [variantOf('original', small, 4096, { contentType: 'text/plain' })]);
canister.put('files/large.bin', [variantOf('original', large, 2000), variantOf('thumb', small.subarray(0, 100), 2000)]);

/** Changes the canister's answer on its way to the gateway (what a dishonest node could do). */
let tamper: ((response: HttpResponse, url: string, range: string | undefined) => HttpResponse) | undefined;
let queries = 0;
const gateway = new HttpGateway({
  rootKeyDer: ROOT_KEY_DER,
  replica: {
    time: () => NOW_NS,
    httpRequest: (canisterId, arg) => {
      queries++;
      if (hex(canisterId) !== hex(CANISTER_ID.toUint8Array())) return { kind: 'reject', rejectCode: 3, errorCode: 301, message: 'Canister not found' };
      const request = decodeHttpRequest(arg);
      const response = canister.http.handle(request, (id, v) => canister.assets.get(id)?.find((x) => x.variant === v));
      const range = request.headers.find(([n]) => n.toLowerCase() === 'range')?.[1];
      return { kind: 'reply', bytes: encodeHttpResponse(tamper ? tamper(response, request.url, range) : response) };
    }
  }
});

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const target = gatewayTarget(req.headers.host, req.url ?? '/');
    if (!target) return void res.writeHead(404).end('not a gateway request');
    void gateway.handle(req, res, target);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const at = (path: string, query = '') => `${base}${path}?${query}${query ? '&' : ''}canisterId=${CANISTER_ID.toText()}`;

describe('routing', () => {
  it('reads the canister from <id>.localhost or ?canisterId=, and leaves /api/ to the IC HTTP interface', () => {
    expect(gatewayTarget(`${CANISTER_ID.toText()}.localhost:4943`, '/a/b?variant=thumb')).toEqual({ canisterId: CANISTER_ID, url: '/a/b?variant=thumb' });
    expect(gatewayTarget('127.0.0.1:4943', `/a?canisterId=${CANISTER_ID.toText()}&variant=x`)).toEqual({ canisterId: CANISTER_ID, url: '/a?variant=x' });
    expect(gatewayTarget('127.0.0.1:4943', `/a?canisterId=${CANISTER_ID.toText()}`)).toEqual({ canisterId: CANISTER_ID, url: '/a' });
    expect(gatewayTarget(`${CANISTER_ID.toText()}.localhost:4943`, '/api/v2/status')).toBeUndefined();
    expect(gatewayTarget('127.0.0.1:4943', '/a')).toBeUndefined();
    expect(gatewayTarget('127.0.0.1:4943', '/a?canisterId=not-a-principal')).toBeUndefined();
  });

  it('serves through a <id>.localhost Host header', async () => {
    const { status, body } = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const req = httpRequest(`${base}/files/small.txt`, { headers: { host: `${CANISTER_ID.toText()}.localhost` } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject).end();
    });
    expect(status).toBe(200);
    expect(hex(body)).toBe(hex(small));
  });
});

describe('verified serving', () => {
  it('serves a small file whole with its headers', async () => {
    const res = await fetch(at('/files/small.txt'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.get('etag')).toBe(`"${hex(sha256(small))}"`);
    expect(hex(new Uint8Array(await res.arrayBuffer()))).toBe(hex(small));
  });

  it('stitches 206 pieces into one 200 body, fetching each piece once', async () => {
    queries = 0;
    const res = await fetch(at('/files/large.bin'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(large.length));
    expect(res.headers.get('content-range')).toBeNull();
    const body = new Uint8Array(await res.arrayBuffer());
    expect(hex(sha256(body))).toBe(hex(sha256(large)));
    expect(queries).toBe(13);
  });

  it('answers a Range in the middle, across pieces, with exactly those bytes', async () => {
    const res = await fetch(at('/files/large.bin'), { headers: { range: 'bytes=3000-7999' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 3000-7999/${large.length}`);
    expect(hex(new Uint8Array(await res.arrayBuffer()))).toBe(hex(large.subarray(3000, 8000)));
    const tail = await fetch(at('/files/large.bin'), { headers: { range: 'bytes=-10' } });
    expect(hex(new Uint8Array(await tail.arrayBuffer()))).toBe(hex(large.subarray(large.length - 10)));
    const inSmall = await fetch(at('/files/small.txt'), { headers: { range: 'bytes=100-199' } });
    expect(inSmall.status).toBe(206);
    expect(hex(new Uint8Array(await inSmall.arrayBuffer()))).toBe(hex(small.subarray(100, 200)));
    const beyond = await fetch(at('/files/small.txt'), { headers: { range: `bytes=${small.length}-` } });
    expect(beyond.status).toBe(416);
  });

  it('serves ?variant=, HEAD and 304', async () => {
    const thumb = await fetch(at('/files/large.bin', 'variant=thumb'));
    expect(hex(new Uint8Array(await thumb.arrayBuffer()))).toBe(hex(small.subarray(0, 100)));
    const head = await fetch(at('/files/large.bin'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(large.length));
    const etag = `"${hex(sha256(small))}"`;
    const notModified = await fetch(at('/files/small.txt'), { headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);
  });

  it('passes a certified 404 through', async () => {
    const res = await fetch(at('/files/none.txt'));
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('Not found\n');
  });
});

describe('what fails verification never reaches the client', () => {
  it('a changed body is a 502 saying why', async () => {
    tamper = (r) => ({ ...r, body: Uint8Array.from(r.body, (b, i) => (i === 5 ? b ^ 1 : b)) });
    try {
      const res = await fetch(at('/files/small.txt'));
      expect(res.status).toBe(502);
      const text = await res.text();
      expect(text).toMatch(/^Response verification failed: /);
      expect(text).not.toContain(Buffer.from(small.subarray(0, 64)).toString('latin1'));
    } finally {
      tamper = undefined;
    }
  });

  it('a changed header is a 502', async () => {
    tamper = (r) => ({ ...r, headers: r.headers.map(([n, v]): [string, string] => [n, n === 'content-type' ? 'text/html' : v]) });
    try {
      expect((await fetch(at('/files/small.txt'))).status).toBe(502);
    } finally {
      tamper = undefined;
    }
  });

  it('a changed later piece cuts the stream: the client never gets a complete body', async () => {
    tamper = (r, _url, range) => (range === 'bytes=20000-' ? { ...r, body: new Uint8Array(r.body.length) } : r);
    try {
      const res = await fetch(at('/files/large.bin'));
      expect(res.status).toBe(200);
      await expect(res.arrayBuffer()).rejects.toThrow();
    } finally {
      tamper = undefined;
    }
  });

  it('a canister that rejects is a 502 with the reject message', async () => {
    const res = await fetch(`${base}/x?canisterId=aaaaa-aa`);
    expect(res.status).toBe(502);
    expect(await res.text()).toContain('Canister not found');
  });
});
