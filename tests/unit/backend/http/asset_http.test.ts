// Certified HTTP serving checked by DFINITY's own verifier (@dfinity/response-verification):
// every response kind verifies, and a response changed after the canister sent it does not.
import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { ResponseVerificationErrorCode } from '@dfinity/response-verification';
import { Principal } from '@icp-sdk/core/principal';
import { CertifiedCanister, variantOf, verify } from '../../../support/http_certification.js';
import { pseudoRandomBytes } from '../../../support/bytes.js';
import type { HttpResponse } from '../../../../src/backend/http/asset_http.js';

const header = (r: HttpResponse, name: string) => r.headers.find(([n]) => n.toLowerCase() === name)?.[1];
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function failure(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    return (e as { code: number }).code;
  }
  throw new Error('verification passed');
}

describe('certified responses', () => {
  const small = pseudoRandomBytes(10_000, 1);
  const large = pseudoRandomBytes(3_500, 2); // 4 pieces of 1,000 bytes, the last one 500
  const thumb = pseudoRandomBytes(300, 3);
  const canister = new CertifiedCanister();
  canister.put('docs/small file.txt', [variantOf('original', small, 20_000, { contentType: 'text/plain' })]);
  canister.put('photos/big.jpg', [
    variantOf('original', large, 1_000, { contentType: 'image/jpeg' }),
    variantOf('thumb', thumb, 1_000, { contentType: 'image/webp' })
  ]);

  it('serves a one-chunk asset whole at its percent-encoded path, with the listed headers', () => {
    const { request, response } = canister.request('/docs/small%20file.txt');
    expect(response.status_code).toBe(200);
    expect(hex(sha256(response.body))).toBe(hex(sha256(small)));
    expect(header(response, 'content-type')).toBe('text/plain');
    expect(header(response, 'content-length')).toBe('10000');
    expect(header(response, 'etag')).toBe(`"${hex(sha256(small))}"`);
    expect(header(response, 'accept-ranges')).toBe('bytes');
    expect(header(response, 'x-content-type-options')).toBe('nosniff');
    expect(header(response, 'cache-control')).toBeDefined();
    const verified = verify(request, response);
    expect(verified.verificationVersion).toBe(2);
    expect(verified.response?.statusCode).toBe(200);
    expect(hex(verified.response!.body)).toBe(hex(small));
  });

  it('serves a large asset as 206 pieces at chunk boundaries, each verified by its own digest', () => {
    const pieces: Uint8Array[] = [];
    for (let start = 0; start < large.length; ) {
      const { request, response } = canister.request('/photos/big.jpg', { headers: start === 0 ? [] : [['Range', `bytes=${start}-`]] });
      expect(response.status_code).toBe(206);
      const end = Math.min(start + 1000, large.length) - 1;
      expect(header(response, 'content-range')).toBe(`bytes ${start}-${end}/${large.length}`);
      expect(verify(request, response).response?.statusCode).toBe(206);
      pieces.push(response.body);
      start = end + 1;
    }
    expect(pieces).toHaveLength(4);
    expect(hex(Buffer.concat(pieces))).toBe(hex(large));
  });

  it('answers a Range in the middle with the piece that holds its first byte', () => {
    const { request, response } = canister.request('/photos/big.jpg', { headers: [['range', 'bytes=2500-2600']] });
    expect(header(response, 'content-range')).toBe('bytes 2000-2999/3500');
    expect(hex(response.body)).toBe(hex(large.subarray(2000, 3000)));
    verify(request, response);
  });

  it('serves ?variant=thumb, certified for that query: it cannot stand in for the original', () => {
    const thumbPair = canister.request('/photos/big.jpg?variant=thumb');
    expect(thumbPair.response.status_code).toBe(200);
    expect(hex(thumbPair.response.body)).toBe(hex(thumb));
    verify(thumbPair.request, thumbPair.response);
    const original = canister.request('/photos/big.jpg');
    expect(failure(() => verify(original.request, thumbPair.response))).toBe(ResponseVerificationErrorCode.InvalidRequestAndResponseHashes);
  });

  it('answers HEAD with the headers alone, certified', () => {
    const { request, response } = canister.request('/photos/big.jpg', { method: 'HEAD' });
    expect(response.status_code).toBe(200);
    expect(response.body.length).toBe(0);
    expect(header(response, 'content-length')).toBe(String(large.length));
    verify(request, response);
  });

  it('answers If-None-Match with the current ETag by a certified 304, and a stale one by the body', () => {
    const etag = `"${hex(sha256(small))}"`;
    const hit = canister.request('/docs/small%20file.txt', { headers: [['If-None-Match', etag]] });
    expect(hit.response.status_code).toBe(304);
    expect(hit.response.body.length).toBe(0);
    verify(hit.request, hit.response);
    // The 304 answers only the request that named the ETag.
    const plain = canister.request('/docs/small%20file.txt');
    expect(failure(() => verify(plain.request, hit.response))).toBe(ResponseVerificationErrorCode.InvalidRequestAndResponseHashes);
    const stale = canister.request('/docs/small%20file.txt', { headers: [['If-None-Match', '"0000"']] });
    expect(stale.response.status_code).toBe(200);
    verify(stale.request, stale.response);
  });

  it('serves the original at ?variant=original too, certified for that query', () => {
    const named = canister.request('/docs/small%20file.txt?variant=original');
    const plain = canister.request('/docs/small%20file.txt');
    expect(named.response.status_code).toBe(200);
    expect(Buffer.from(named.response.body).equals(Buffer.from(plain.response.body))).toBe(true);
    expect(verify(named.request, named.response).response?.statusCode).toBe(200);
  });

  it.each([
    ['a missing asset', '/nothing/here.txt'],
    ['the root', '/'],
    ['a prefix of an asset id', '/photos'],
    ['a path below an asset', '/photos/big.jpg/more'],
    ['a trailing slash', '/photos/'],
    ['an unknown variant', '/photos/big.jpg?variant=display'],
    ['a malformed escape', '/photos/%zz']
  ])('answers %s with a certified 404', (_what, url) => {
    const { request, response } = canister.request(url);
    expect(response.status_code).toBe(404);
    expect(verify(request, response).response?.statusCode).toBe(404);
  });

  it('fails verification when the body, a header or the status is changed, or for another canister', () => {
    const { request, response } = canister.request('/docs/small%20file.txt');
    const body = response.body.slice();
    body[17] ^= 1;
    expect(failure(() => verify(request, { ...response, body }))).toBe(ResponseVerificationErrorCode.InvalidRequestAndResponseHashes);
    const headers = response.headers.map(([n, v]): [string, string] => [n, n === 'content-type' ? 'text/html' : v]);
    expect(failure(() => verify(request, { ...response, headers }))).toBe(ResponseVerificationErrorCode.InvalidRequestAndResponseHashes);
    const added: [string, string][] = [...response.headers, ['content-disposition', 'inline']];
    expect(failure(() => verify(request, { ...response, headers: added }))).toBe(ResponseVerificationErrorCode.InvalidRequestAndResponseHashes);
    expect(failure(() => verify(request, { ...response, status_code: 201 }))).toBe(ResponseVerificationErrorCode.InvalidRequestAndResponseHashes);
    const piece = canister.request('/photos/big.jpg', { headers: [['range', 'bytes=1000-']] });
    const other = canister.request('/photos/big.jpg', { headers: [['range', 'bytes=2000-']] });
    // A certified piece with another piece's body is refused.
    expect(failure(() => verify(piece.request, { ...piece.response, body: other.response.body }))).toBe(
      ResponseVerificationErrorCode.InvalidRequestAndResponseHashes
    );
    expect(failure(() => verify(request, response, Principal.fromText('aaaaa-aa')))).toBeGreaterThan(0);
  });
});

describe('changes', () => {
  it('a private asset is a certified 404 at once, and public again serves it', () => {
    const canister = new CertifiedCanister();
    const bytes = pseudoRandomBytes(500, 4);
    canister.put('a.bin', [variantOf('original', bytes, 1000)]);
    expect(canister.request('/a.bin').response.status_code).toBe(200);
    canister.remove('a.bin');
    const gone = canister.request('/a.bin');
    expect(gone.response.status_code).toBe(404);
    verify(gone.request, gone.response);
    canister.put('a.bin', [variantOf('original', bytes, 1000)]);
    const back = canister.request('/a.bin');
    expect(back.response.status_code).toBe(200);
    verify(back.request, back.response);
  });

  it('a replaced variant serves the new bytes, and the old ETag no longer answers 304', () => {
    const canister = new CertifiedCanister();
    const first = pseudoRandomBytes(500, 5);
    const second = pseudoRandomBytes(700, 6);
    canister.put('a.bin', [variantOf('original', first, 1000)]);
    const oldEtag = `"${hex(sha256(first))}"`;
    const oldResponse = canister.request('/a.bin');
    canister.put('a.bin', [variantOf('original', second, 1000)]);
    const now = canister.request('/a.bin', { headers: [['if-none-match', oldEtag]] });
    expect(now.response.status_code).toBe(200);
    expect(hex(now.response.body)).toBe(hex(second));
    verify(now.request, now.response);
    // The old response, with a certificate of the current tree, no longer verifies.
    const replayed = canister.request('/a.bin');
    const certificate = replayed.response.headers.find(([n]) => n === 'IC-Certificate')!;
    const stale = { ...oldResponse.response, headers: [...oldResponse.response.headers.filter(([n]) => n !== 'IC-Certificate'), certificate] };
    expect(failure(() => verify(oldResponse.request, stale))).toBe(ResponseVerificationErrorCode.InvalidRequestAndResponseHashes);
  });

  it('adding and removing an asset leaves the tree and its store exactly as before, once the withdrawn nodes are freed', () => {
    const canister = new CertifiedCanister();
    canister.put('keep/one.txt', [variantOf('original', pseudoRandomBytes(100, 7), 1000)]);
    const root = hex(canister.certifiedData);
    const nodes = canister.store.entries.size;
    canister.put('keep/two.txt', [variantOf('original', pseudoRandomBytes(3000, 8), 1000), variantOf('thumb', pseudoRandomBytes(10, 9), 1000)]);
    expect(hex(canister.certifiedData)).not.toBe(root);
    canister.remove('keep/two.txt');
    expect(hex(canister.certifiedData)).toBe(root);
    expect(canister.http.hasGarbage()).toBe(true);
    let steps = 0;
    expect(canister.http.collectGarbage(() => ++steps <= 3)).toBe(false);
    expect(canister.http.collectGarbage(() => true)).toBe(true);
    expect(canister.store.entries.size).toBe(nodes);
  });
});

describe('sandboxing', () => {
  it('serves a non-controller HTML upload with CSP sandbox as an attachment; a controller one as it is', () => {
    const canister = new CertifiedCanister();
    const page = new TextEncoder().encode('<script>alert(1)</script>');
    canister.put('u/page.html', [variantOf('original', page, 1000, { contentType: 'text/html', fileName: 'page "x".html', ownedByController: false })]);
    canister.put('u/photo.jpg', [variantOf('original', page, 1000, { contentType: 'image/jpeg', ownedByController: false })]);
    canister.put('index.html', [variantOf('original', page, 1000, { contentType: 'text/html; charset=utf-8', ownedByController: true })]);
    const html = canister.request('/u/page.html');
    expect(header(html.response, 'content-security-policy')).toBe('sandbox');
    expect(header(html.response, 'content-disposition')).toBe(`attachment; filename*=UTF-8''page%20%22x%22.html`);
    verify(html.request, html.response);
    const photo = canister.request('/u/photo.jpg');
    expect(header(photo.response, 'content-security-policy')).toBe('sandbox');
    expect(header(photo.response, 'content-disposition')).toBeUndefined();
    const app = canister.request('/index.html');
    expect(header(app.response, 'content-security-policy')).toBeUndefined();
    expect(header(app.response, 'content-disposition')).toBeUndefined();
    verify(app.request, app.response);
  });

  it('an asset staged over several messages is absent (a verified 404) until published, then every piece verifies', () => {
    const canister = new CertifiedCanister();
    canister.put('other.txt', [variantOf('original', pseudoRandomBytes(50, 10), 1000)]);
    const data = pseudoRandomBytes(40_500, 11);
    const variants = [variantOf('original', data, 1000)];
    canister.assets.set('staged.bin', variants);
    const count = canister.http.entryCount(variants);
    // 41 pieces, HEAD and 304 under each of the two queries of the original, and the asset's 404.
    expect(count).toBe(2 * (41 + 2) + 1);
    let level = canister.http.newStagedLevel();
    for (let i = 0; i < count; i++) {
      level = canister.http.stage(level, variants, i);
      if (i % 20 === 0) {
        const absent = canister.request('/staged.bin');
        expect(absent.response.status_code).toBe(404);
        verify(absent.request, absent.response);
      }
    }
    canister.http.publish('staged.bin', level);
    for (const piece of [0, 17, 40]) {
      const { request, response } = canister.request('/staged.bin', { headers: [['range', `bytes=${piece * 1000}-`]] });
      expect(response.status_code).toBe(206);
      expect(hex(response.body)).toBe(hex(data.subarray(piece * 1000, (piece + 1) * 1000)));
      verify(request, response);
    }
    const other = canister.request('/other.txt');
    expect(other.response.status_code).toBe(200);
    verify(other.request, other.response);
  });

  it('a staged level given up is freed with the rest of the garbage', () => {
    const canister = new CertifiedCanister();
    canister.put('other.txt', [variantOf('original', pseudoRandomBytes(50, 12), 1000)]);
    const nodes = canister.store.entries.size;
    const variants = [variantOf('original', pseudoRandomBytes(5_000, 13), 1000)];
    let level = canister.http.newStagedLevel();
    for (let i = 0; i < 6; i++) level = canister.http.stage(level, variants, i);
    canister.http.discard(level);
    expect(canister.http.collectGarbage(() => true)).toBe(true);
    // The count of staged levels was already there: the store is as it was.
    expect(canister.store.entries.size).toBe(nodes);
  });
});

