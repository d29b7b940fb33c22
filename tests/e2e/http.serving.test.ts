// The ic_upload canister serving its public assets over certified HTTP, end to end: uploads
// through the client library, downloads through the local network's verifying gateway with plain
// fetch and with curl, and every canister response verified a second time here with
// @dfinity/response-verification (and failing once tampered with).
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { sha256 } from '@noble/hashes/sha2.js';
import sharp from 'sharp';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idlFactory, type HttpRequest, type HttpResponse, type IcUploadService } from '../../candid/ic_upload.js';
import { assetUrl, memorySource, Uploader } from '../../src/client/index.js';
import { sharpDeriver } from '../../src/client/node/index.js';
import { startLocalNetwork, type LocalNetwork } from '../../src/replica/local_network.js';
import { pseudoRandomBytes } from '../support/bytes.js';
import { verifyCanisterResponse, withMarker } from '../support/gateway.js';

const WASM = new Uint8Array(readFileSync('.azle/ic_upload/ic_upload.wasm'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const stateDir = mkdtempSync(join(tmpdir(), 'icu-serving-'));
const identity = Ed25519KeyIdentity.generate();
let network: LocalNetwork;
let actor: IcUploadService;
let rootKey: Uint8Array;

async function start(wasm: Uint8Array): Promise<void> {
  network = await startLocalNetwork({ stateDir, wasm, port: 0 });
  const agent = await HttpAgent.create({ host: network.url, identity, shouldFetchRootKey: true });
  rootKey = new Uint8Array(agent.rootKey!);
  actor = Actor.createActor<IcUploadService>(idlFactory, { agent, canisterId: network.canisterId });
}

const gatewayUrl = (path: string, query = '') => `${network.url}${path}?${query}${query ? '&' : ''}canisterId=${network.canisterId}`;
const request = (url: string, headers: [string, string][] = [], method = 'GET'): HttpRequest => ({
  method,
  url,
  headers,
  body: new Uint8Array(0),
  certificate_version: [2]
});

/** Verifies a response of the canister's, independently of the gateway; answers its status. */
function verify(req: HttpRequest, res: HttpResponse): number | undefined {
  return verifyCanisterResponse(req, res, network.canisterId, rootKey).response?.statusCode;
}

/** Asks until the canister serves `url` with `status` (multi-chunk blobs are served once their chunk digests are computed by timers). */
async function servedWith(url: string, status: number): Promise<HttpResponse> {
  for (let attempt = 0; attempt < 1_200; attempt++) {
    const res = await actor.http_request(request(url));
    if (res.status_code === status) return res;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} never answered ${status}`);
}

const small = pseudoRandomBytes(10_240, 31);
const CHUNK = 600_000;
// 16.7 MB in 28 pieces, each hashed natively at upload and verified by the gateway. The piece
// count (what the certification staging and the gateway's stitching work by) is what a 50 MB
// file has in the client's default 1.9 MB chunks; each byte more would only cost upload time.
const large = pseudoRandomBytes(27 * CHUNK + 500_000, 32);
const html = new TextEncoder().encode('<!doctype html><script>alert(document.cookie)</script>');
let image: Uint8Array;

async function upload(assetId: string, bytes: Uint8Array, type: string, isPublic: boolean | undefined, deriver = false) {
  const uploader = new Uploader({ actor, chunkSize: CHUNK, deriver: deriver ? sharpDeriver : undefined });
  return uploader.upload({ source: memorySource(bytes, assetId.split('/').pop()!, type), assetId, public: isPublic });
}

beforeAll(async () => {
  await start(WASM);
  image = new Uint8Array(
    await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 200, g: 40, b: 90 } } }).png().toBuffer()
  );
  await upload('files/small.txt', small, 'text/plain', true);
  await upload('files/large.bin', large, 'application/octet-stream', true);
  await upload('photos/red.png', image, 'image/png', true, true);
  await upload('files/private.txt', small, 'text/plain', undefined);
  await upload('u/page.html', html, 'text/html', true);
  await servedWith('/files/large.bin', 206);
}, 600_000);
afterAll(async () => {
  await network?.close();
});

describe('public assets through the gateway', () => {
  it('serves a 10 KB file with fetch and with curl, byte for byte', async () => {
    const res = await fetch(gatewayUrl('/files/small.txt'));
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${hex(sha256(small))}"`);
    expect(hex(new Uint8Array(await res.arrayBuffer()))).toBe(hex(small));
    const { stdout } = await promisify(execFile)('curl', ['-sS', '--fail', gatewayUrl('/files/small.txt')], { encoding: 'buffer' });
    expect(hex(new Uint8Array(stdout))).toBe(hex(small));
    // The URL the client library and the CLI print: <canister id>.localhost, resolved here by curl.
    const url = new URL(assetUrl(network.canisterId, 'files/small.txt', { network: network.url }));
    const resolve = `${url.hostname}:${url.port}:127.0.0.1`;
    const named = await promisify(execFile)('curl', ['-sS', '--fail', '--resolve', resolve, url.href], { encoding: 'buffer' });
    expect(hex(new Uint8Array(named.stdout))).toBe(hex(small));
  });

  it('serves a 16.7 MB file stitched from 28 certified pieces, with fetch and curl', async () => {
    const res = await fetch(gatewayUrl('/files/large.bin'));
    expect(res.status).toBe(200);
    const body = new Uint8Array(await res.arrayBuffer());
    expect(body.length).toBe(large.length);
    expect(hex(sha256(body))).toBe(hex(sha256(large)));
    const { stdout } = await promisify(execFile)('curl', ['-sS', '--fail', gatewayUrl('/files/large.bin')], {
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024
    });
    expect(hex(sha256(new Uint8Array(stdout)))).toBe(hex(sha256(large)));
  });

  it('answers ?variant=thumb of an image, HEAD, a Range in the middle, and 304 on the ETag', async () => {
    const asset = await actor.get_asset('photos/red.png');
    if (!('Ok' in asset)) throw new Error('photos/red.png missing');
    const thumbInfo = asset.Ok.variants.find(([name]) => name === 'thumb')![1];
    const thumb = await fetch(gatewayUrl('/photos/red.png', 'variant=thumb'));
    expect(thumb.status).toBe(200);
    expect(hex(sha256(new Uint8Array(await thumb.arrayBuffer())))).toBe(hex(Uint8Array.from(thumbInfo.sha256)));
    const original = await fetch(gatewayUrl('/photos/red.png', 'variant=original'));
    expect(original.status).toBe(200);
    expect(hex(sha256(new Uint8Array(await original.arrayBuffer())))).toBe(hex(sha256(image)));

    const head = await fetch(gatewayUrl('/files/large.bin'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(large.length));
    expect(head.headers.get('accept-ranges')).toBe('bytes');

    const from = 3 * CHUNK - 10;
    const ranged = await fetch(gatewayUrl('/files/large.bin'), { headers: { range: `bytes=${from}-${from + 19}` } });
    expect(ranged.status).toBe(206);
    expect(hex(new Uint8Array(await ranged.arrayBuffer()))).toBe(hex(large.subarray(from, from + 20)));

    const etag = `"${hex(sha256(small))}"`;
    expect((await fetch(gatewayUrl('/files/small.txt'), { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('answers 404 for a private asset and for a missing one', async () => {
    expect((await fetch(gatewayUrl('/files/private.txt'))).status).toBe(404);
    expect((await fetch(gatewayUrl('/files/missing.txt'))).status).toBe(404);
  });

  it('serves an HTML upload of a non-controller sandboxed, as an attachment', async () => {
    const res = await fetch(gatewayUrl('/u/page.html'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe('sandbox');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment/);
  });
});

describe("the canister's responses, verified independently", () => {
  it('verify for every case above, and fail once the body or a header is changed', async () => {
    const etag = `"${hex(sha256(small))}"`;
    const cases: [HttpRequest, number][] = [
      [request('/files/small.txt'), 200],
      [request('/files/large.bin'), 206],
      [request('/files/large.bin', [['range', `bytes=${3 * CHUNK}-`]]), 206],
      [request('/photos/red.png?variant=thumb'), 200],
      [request('/files/large.bin', [], 'HEAD'), 200],
      [request('/files/small.txt', [['if-none-match', etag]]), 304],
      [request('/files/private.txt'), 404],
      [request('/files/missing.txt'), 404]
    ];
    for (const [req, status] of cases) {
      const res = await actor.http_request(req);
      expect(res.status_code, req.url).toBe(status);
      expect(verify(req, res), req.url).toBe(status);
    }
    const req = request('/files/small.txt');
    const res = await actor.http_request(req);
    const body = Uint8Array.from(res.body);
    body[100] ^= 1;
    expect(() => verify(req, { ...res, body })).toThrow();
    expect(() => verify(req, { ...res, headers: res.headers.map(([n, v]): [string, string] => [n, n === 'content-type' ? 'text/html' : v]) })).toThrow();
    const piece = await actor.http_request(request('/files/large.bin', [['range', `bytes=${CHUNK}-`]]));
    const other = await actor.http_request(request('/files/large.bin', [['range', `bytes=${2 * CHUNK}-`]]));
    // A certified piece carrying another piece's body is refused.
    expect(() => verify(request('/files/large.bin', [['range', `bytes=${CHUNK}-`]]), { ...piece, body: other.body })).toThrow();
  });
});

describe('changes', () => {
  it('making an asset private removes it from HTTP at once; public again, it serves', async () => {
    expect(await actor.set_public('files/small.txt', false)).toHaveProperty('Ok.public', false);
    const req = request('/files/small.txt');
    const hidden = await actor.http_request(req);
    expect(hidden.status_code).toBe(404);
    expect(verify(req, hidden)).toBe(404);
    expect((await fetch(gatewayUrl('/files/small.txt'))).status).toBe(404);
    await actor.set_public('files/small.txt', true);
    expect((await fetch(gatewayUrl('/files/small.txt'))).status).toBe(200);
  });

  it('replacing a variant serves the new bytes, and the old ETag no longer matches', async () => {
    const replaced = pseudoRandomBytes(10_240, 33);
    const oldEtag = `"${hex(sha256(small))}"`;
    await upload('files/small.txt', replaced, 'text/plain', undefined);
    const res = await fetch(gatewayUrl('/files/small.txt'));
    expect(hex(new Uint8Array(await res.arrayBuffer()))).toBe(hex(replaced));
    const conditional = await fetch(gatewayUrl('/files/small.txt'), { headers: { 'if-none-match': oldEtag } });
    expect(conditional.status).toBe(200);
    expect(hex(new Uint8Array(await conditional.arrayBuffer()))).toBe(hex(replaced));
  });

  it('deleting an asset removes it from HTTP', async () => {
    await upload('files/gone.txt', small, 'text/plain', true);
    expect((await fetch(gatewayUrl('/files/gone.txt'))).status).toBe(200);
    expect(await actor.delete_asset('files/gone.txt')).toEqual({ Ok: null });
    const req = request('/files/gone.txt');
    const res = await actor.http_request(req);
    expect(verify(req, res)).toBe(404);
  });
});

describe('upgrades', () => {
  it('leave every public asset verifiable; post_upgrade does not grow with the number of public assets', async () => {
    await network.close();
    await start(withMarker(WASM, 1));
    const withFew = (await actor.stats()).upgrade_instructions[0]!;
    for (let i = 0; i < 12; i++) await upload(`many/${i}.txt`, pseudoRandomBytes(200, 200 + i), 'text/plain', true);
    await network.close();
    await start(withMarker(WASM, 2));
    const withMany = (await actor.stats()).upgrade_instructions[0]!;
    console.log(`post_upgrade (+ pre_upgrade) with 4 public assets: ${withFew}, with 16: ${withMany} instructions`);
    expect(withFew).toBeGreaterThan(0n);
    expect(Number(withMany)).toBeLessThan(Number(withFew) * 1.1);
    for (const [path, status] of [['/files/small.txt', 200], ['/files/large.bin', 206], ['/photos/red.png?variant=thumb', 200], ['/many/11.txt', 200]] as const) {
      const req = request(path);
      const res = await actor.http_request(req);
      expect(res.status_code, path).toBe(status);
      expect(verify(req, res), path).toBe(status);
    }
    // The last piece through the gateway, verified there (the whole file was fetched before the upgrade).
    const from = large.length - 100;
    const res = await fetch(gatewayUrl('/files/large.bin'), { headers: { range: `bytes=${from}-` } });
    expect(res.status).toBe(206);
    expect(hex(new Uint8Array(await res.arrayBuffer()))).toBe(hex(large.subarray(from)));
  });
});
