// Certified HTTP end to end on the local network: the http_fixture canister (src/backend/http
// over stable maps, in QuickJS inside Azle) behind the replica's gateway. Bytes fetched with
// fetch and curl equal what was stored; the canister's own responses, fetched by query, verify
// independently with @dfinity/response-verification and fail once tampered with; an upgrade
// leaves everything verifiable at a cost that does not grow with the number of assets.
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { sha256 } from '@noble/hashes/sha2.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGatewayTypes } from '../../candid/http_gateway.js';
import { startLocalNetwork, type LocalNetwork } from '../../src/replica/local_network.js';
import { pseudoRandomBytes } from '../support/bytes.js';
import { verifyCanisterResponse, withMarker } from '../support/gateway.js';

const FIXTURE_WASM = new Uint8Array(readFileSync(new URL('../../.azle/http_fixture/http_fixture.wasm', import.meta.url)));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

type Header = [string, string];
interface Request { method: string; url: string; headers: Header[]; body: Uint8Array; certificate_version: [] | [number] }
interface Response { status_code: number; headers: Header[]; body: Uint8Array | number[] }
interface Fixture {
  put(assetId: string, variant: string, contentType: string, chunkSize: number, bytes: Uint8Array, ownedByController: boolean): Promise<bigint>;
  hide(assetId: string): Promise<bigint>;
  show(assetId: string): Promise<bigint>;
  upgrade_instructions(): Promise<bigint>;
  http_request(request: Request): Promise<Response>;
  http_request_instructions(request: Request): Promise<bigint>;
}

const { HttpRequest: RequestType, HttpResponse: ResponseType } = httpGatewayTypes(IDL);
const fixtureIdl: IDL.InterfaceFactory = ({ IDL }) => {
  return IDL.Service({
    put: IDL.Func([IDL.Text, IDL.Text, IDL.Text, IDL.Nat32, IDL.Vec(IDL.Nat8), IDL.Bool], [IDL.Nat64], []),
    hide: IDL.Func([IDL.Text], [IDL.Nat64], []),
    show: IDL.Func([IDL.Text], [IDL.Nat64], []),
    upgrade_instructions: IDL.Func([], [IDL.Nat64], ['query']),
    http_request: IDL.Func([RequestType], [ResponseType], ['query']),
    http_request_instructions: IDL.Func([RequestType], [IDL.Nat64], ['query'])
  });
};

const stateDir = mkdtempSync(join(tmpdir(), 'icu-gateway-'));
let network: LocalNetwork;
let fixture: Fixture;
let rootKey: Uint8Array;

async function start(wasm: Uint8Array): Promise<void> {
  network = await startLocalNetwork({ stateDir, wasm, port: 0 });
  const agent = await HttpAgent.create({ host: network.url, shouldFetchRootKey: true });
  rootKey = new Uint8Array(agent.rootKey!);
  fixture = Actor.createActor<Fixture>(fixtureIdl, { agent, canisterId: network.canisterId });
}

const gatewayUrl = (path: string, query = '') => `${network.url}${path}?${query}${query ? '&' : ''}canisterId=${network.canisterId}`;
const request = (url: string, headers: Header[] = [], method = 'GET'): Request => ({ method, url, headers, body: new Uint8Array(0), certificate_version: [2] });

/** Verifies a response of the canister's, independently of the gateway. */
function verify(req: Request, res: Response) {
  return verifyCanisterResponse(req, res, network.canisterId, rootKey);
}

const small = pseudoRandomBytes(10_240, 21);
// Small sizes: the fixture hashes in QuickJS (thousands of instructions a byte).
const large = pseudoRandomBytes(150_000, 22); // three 50,000-byte pieces
const figures: string[] = [];

beforeAll(async () => {
  await start(FIXTURE_WASM);
  figures.push(`tree update, one 10 KB asset: ${await fixture.put('files/small.txt', 'original', 'text/plain', 50_000, small, true)} instructions`);
  figures.push(`tree update, 150 KB asset in 3 pieces: ${await fixture.put('files/large.bin', 'original', 'application/octet-stream', 50_000, large, true)} instructions`);
  await fixture.put('files/large.bin', 'thumb', 'image/webp', 50_000, small.subarray(0, 300), true);
  await fixture.put('u/page.html', 'original', 'text/html', 50_000, new TextEncoder().encode('<script>1</script>'), false);
});
afterAll(async () => {
  console.log(figures.join('\n'));
  await network?.close();
});

describe('through the gateway', () => {
  it('serves a 10 KB file with fetch and with curl, byte for byte', async () => {
    const res = await fetch(gatewayUrl('/files/small.txt'));
    expect(res.status).toBe(200);
    expect(hex(new Uint8Array(await res.arrayBuffer()))).toBe(hex(small));
    // curl runs beside this process, which serves the gateway: it must not block the event loop.
    const { stdout } = await promisify(execFile)('curl', ['-sS', '--fail', gatewayUrl('/files/small.txt')], { encoding: 'buffer' });
    expect(hex(new Uint8Array(stdout))).toBe(hex(small));
  });

  it('stitches a multi-piece file into one body with the same SHA-256', async () => {
    const res = await fetch(gatewayUrl('/files/large.bin'));
    expect(res.status).toBe(200);
    expect(hex(sha256(new Uint8Array(await res.arrayBuffer())))).toBe(hex(sha256(large)));
  });

  it('answers a Range in the middle, ?variant=thumb, HEAD, 304 and 404', async () => {
    const ranged = await fetch(gatewayUrl('/files/large.bin'), { headers: { range: 'bytes=49990-50009' } });
    expect(ranged.status).toBe(206);
    expect(hex(new Uint8Array(await ranged.arrayBuffer()))).toBe(hex(large.subarray(49_990, 50_010)));
    const thumb = await fetch(gatewayUrl('/files/large.bin', 'variant=thumb'));
    expect(hex(new Uint8Array(await thumb.arrayBuffer()))).toBe(hex(small.subarray(0, 300)));
    const head = await fetch(gatewayUrl('/files/large.bin'), { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(large.length));
    const etag = (await fetch(gatewayUrl('/files/small.txt'))).headers.get('etag')!;
    expect((await fetch(gatewayUrl('/files/small.txt'), { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(gatewayUrl('/files/missing.txt'))).status).toBe(404);
  });

  it('serves a non-controller HTML upload sandboxed, as an attachment', async () => {
    const res = await fetch(gatewayUrl('/u/page.html'));
    expect(res.headers.get('content-security-policy')).toBe('sandbox');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment/);
  });
});

describe("the canister's responses, verified independently", () => {
  it('verify, and fail once the body or a header is changed', async () => {
    const req = request('/files/small.txt');
    const res = await fixture.http_request(req);
    expect(verify(req, res).response?.statusCode).toBe(200);
    const body = Uint8Array.from(res.body);
    body[0] ^= 1;
    expect(() => verify(req, { ...res, body })).toThrow();
    expect(() => verify(req, { ...res, headers: res.headers.map(([n, v]): Header => [n, n === 'etag' ? '"0"' : v]) })).toThrow();
    const piece = request('/files/large.bin', [['range', 'bytes=100000-']]);
    const pieceResponse = await fixture.http_request(piece);
    expect(pieceResponse.status_code).toBe(206);
    expect(verify(piece, pieceResponse).response?.statusCode).toBe(206);
    figures.push(`http_request, 10 KB file: ${await fixture.http_request_instructions(req)} instructions`);
    figures.push(`http_request, one 50,000-byte piece: ${await fixture.http_request_instructions(piece)} instructions`);
  });

  it('a hidden asset is a certified 404 at once; shown again it serves', async () => {
    await fixture.hide('files/small.txt');
    const req = request('/files/small.txt');
    const hidden = await fixture.http_request(req);
    expect(hidden.status_code).toBe(404);
    expect(verify(req, hidden).response?.statusCode).toBe(404);
    expect((await fetch(gatewayUrl('/files/small.txt'))).status).toBe(404);
    await fixture.show('files/small.txt');
    expect((await fetch(gatewayUrl('/files/small.txt'))).status).toBe(200);
  });
});

describe('upgrades', () => {
  it('leave every asset verifiable, at a cost that does not grow with the number of assets', async () => {
    await network.close();
    await start(withMarker(FIXTURE_WASM, 1));
    const withFew = await fixture.upgrade_instructions();
    for (let i = 0; i < 16; i++) await fixture.put(`many/${i}.txt`, 'original', 'text/plain', 50_000, pseudoRandomBytes(100, 100 + i), true);
    await network.close();
    await start(withMarker(FIXTURE_WASM, 2));
    const withMany = await fixture.upgrade_instructions();
    figures.push(`post_upgrade with 4 assets: ${withFew}, with 20: ${withMany} instructions`);
    expect(withFew).toBeGreaterThan(0n);
    // Restoring sets the certified data from the stored root: the same work at either size.
    expect(Number(withMany)).toBeLessThan(Number(withFew) * 1.1);
    for (const path of ['/files/small.txt', '/files/large.bin', '/many/7.txt', '/many/15.txt']) {
      const req = request(path);
      const res = await fixture.http_request(req);
      expect(res.status_code).toBe(path.startsWith('/files/large') ? 206 : 200);
      verify(req, res);
    }
    const res = await fetch(gatewayUrl('/many/15.txt'));
    expect(hex(new Uint8Array(await res.arrayBuffer()))).toBe(hex(pseudoRandomBytes(100, 115)));
  });
});
