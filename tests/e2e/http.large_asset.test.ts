// An asset with more certification entries than its change message stages (120 pieces: 243 entries,
// ≈ 12 billion instructions) made public on the real canister: the change message stays within one
// round, timers stage the rest (the unit tests show the certified 404 until it is whole), then every
// piece verifies, independently here and through the gateway; private again, it is gone at once.
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpRequest } from '../../candid/ic_upload.js';
import { startLocalNetwork, type LocalNetwork } from '../../src/replica/local_network.js';
import { verifyCanisterResponse } from '../support/gateway.js';
import { SEEDED_WASM, seededIdlFactory, type SeededService } from '../support/seeded.js';

const PIECES = 120;
const CHUNK = 1_000;
/** What seed_pieces stores: byte j of chunk i is (31 i + 7 j) mod 256. */
const expected = Uint8Array.from({ length: PIECES * CHUNK }, (_, k) => (31 * Math.floor(k / CHUNK) + 7 * (k % CHUNK)) & 255);

const get = (url: string, headers: [string, string][] = []): HttpRequest => ({ method: 'GET', url, headers, body: new Uint8Array(0), certificate_version: [2] });

let network: LocalNetwork;
let seeded: SeededService;
let rootKey: Uint8Array;

beforeAll(async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'icu-large-asset-'));
  network = await startLocalNetwork({ stateDir, wasm: new Uint8Array(readFileSync(SEEDED_WASM)), port: 0 });
  const agent = await HttpAgent.create({ host: network.url, identity: Ed25519KeyIdentity.generate(), shouldFetchRootKey: true });
  rootKey = new Uint8Array(agent.rootKey!);
  seeded = Actor.createActor<SeededService>(seededIdlFactory, { agent, canisterId: network.canisterId });
  expect(await seeded.seed_pieces('many.bin', PIECES, CHUNK, false)).toBe('');
}, 120_000);

afterAll(async () => {
  await network?.close();
});

describe('an asset too large to certify in one message', () => {
  it('is staged by timers after a set_public that stays within one round, then verifies piece by piece', async () => {
      const used = await seeded.set_public_instructions('many.bin', true);
    // The change message stops staging within one round's 2 billion instructions.
    expect(used).toBeLessThan(2_000_000_000n);
    // The rest (≈ 10 billion more) is staged by timer messages; then the asset is served.
    let served = await seeded.http_request(get('/many.bin'));
    for (let attempt = 0; attempt < 600 && served.status_code !== 206; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      served = await seeded.http_request(get('/many.bin'));
    }
    expect(served.status_code).toBe(206);
    for (const index of [1, 77, PIECES - 1]) {
      const request = get('/many.bin', [['range', `bytes=${index * CHUNK}-`]]);
      const response = await seeded.http_request(request);
      expect(response.status_code).toBe(206);
      expect(Buffer.from(response.body).equals(Buffer.from(expected.subarray(index * CHUNK, (index + 1) * CHUNK)))).toBe(true);
      expect(verifyCanisterResponse(request, response, network.canisterId, rootKey).response?.statusCode).toBe(206);
    }
    // Through the gateway, which verifies before it answers: a range in the middle.
    const middle = await fetch(`${network.url}/many.bin?canisterId=${network.canisterId}`, { headers: { range: `bytes=${100 * CHUNK}-${100 * CHUNK + 99}` } });
    expect(middle.status).toBe(206);
    expect(Buffer.from(await middle.arrayBuffer()).equals(Buffer.from(expected.subarray(100 * CHUNK, 100 * CHUNK + 100)))).toBe(true);
  }, 120_000);

  it('made private, is gone at once, in a message that does not grow with its size', async () => {
    const used = await seeded.set_public_instructions('many.bin', false);
    expect(used).toBeLessThan(200_000_000n);
    const response = await seeded.http_request(get('/many.bin'));
    expect(response.status_code).toBe(404);
    expect(verifyCanisterResponse(get('/many.bin'), response, network.canisterId, rootKey).response?.statusCode).toBe(404);
    expect((await fetch(`${network.url}/many.bin?canisterId=${network.canisterId}`)).status).toBe(404);
  });
});
