// The product over the IC HTTP interface, as a frontend or the CLI uses it: an unmodified
// agent-js HttpAgent (root key fetched, every certificate and query signature verified) drives
// the real ic_upload canister on the embedded replica's local network.
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idlFactory, type IcUploadService } from '../../candid/ic_upload.js';
import { Uploader, downloadAsset, fileSource } from '../../src/client/node/index.js';
import { startLocalNetwork, type LocalNetwork } from '../../src/replica/local_network.js';

const WASM = new Uint8Array(readFileSync('.azle/ic_upload/ic_upload.wasm'));

let network: LocalNetwork;
let dir: string;

async function actorFor(identity = Ed25519KeyIdentity.generate()): Promise<IcUploadService> {
  const agent = await HttpAgent.create({ host: network.url, identity, shouldFetchRootKey: true, verifyQuerySignatures: true });
  return Actor.createActor<IcUploadService>(idlFactory, { agent, canisterId: network.canisterId });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'icu-http-'));
  network = await startLocalNetwork({ stateDir: join(dir, 'state'), wasm: WASM, port: 0 });
});
afterAll(() => network?.close());

/** abort(nat64) followed by a trailing `vec null` of 2^24 elements: 22 bytes that would cost Azle's decoder 40 billion instructions. */
const VEC_NULL_22 = Uint8Array.from([0x44, 0x49, 0x44, 0x4c, 0x01, 0x6d, 0x7f, 0x02, 0x78, 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x08]);

describe('canister_inspect_message over the IC HTTP interface', () => {
  it('refuses the 22-byte vec null argument before executing the method', async () => {
    const agent = await HttpAgent.create({ host: network.url, identity: Ed25519KeyIdentity.generate(), shouldFetchRootKey: true });
    const before = await (await actorFor()).stats();
    const refused = await agent.call(network.canisterId, { methodName: 'abort', arg: VEC_NULL_22, effectiveCanisterId: network.canisterId });
    // The v3 call endpoint answers a refusal at inspection as a non-replicated rejection (IC0406).
    expect(refused.response.body).toMatchObject({ status: 'non_replicated_rejection', error_code: 'IC0406', reject_message: expect.stringMatching(/rejected the message/) });
    const plain = Uint8Array.from([0x44, 0x49, 0x44, 0x4c, 0x00, 0x01, 0x78, 1, 0, 0, 0, 0, 0, 0, 0]);
    const answered = await agent.call(network.canisterId, { methodName: 'abort', arg: plain, effectiveCanisterId: network.canisterId });
    expect(answered.response.body).toMatchObject({ status: 'replied' });
    expect(await (await actorFor()).stats()).toEqual(before);
  });
});

describe('the local network', () => {
  it('refuses a second replica on the same state folder', async () => {
    await expect(startLocalNetwork({ stateDir: join(dir, 'state'), wasm: WASM, port: 0 })).rejects.toThrow(
      /state folder .* is in use by another replica \(process \d+\)/
    );
  });
});

describe('agent-js over the IC HTTP interface', () => {
  it('uploads a 21 MB file with the client library and reads it back byte for byte', async () => {
    const actor = await actorFor();
    const bytes = new Uint8Array(randomBytes(21 * 1024 * 1024));
    const path = join(dir, 'big.bin');
    writeFileSync(path, bytes);
    const uploader = new Uploader({ actor, concurrency: { chunks: 4 } });
    const variants = await uploader.upload({ source: await fileSource(path), assetId: 'big.bin' });
    expect(Buffer.from(variants.original!.sha256).toString('hex')).toBe(Buffer.from(sha256(bytes)).toString('hex'));
    expect(variants.original!.size).toBe(BigInt(bytes.length));
    const { bytes: back } = await downloadAsset(actor, 'big.bin');
    expect(back.length).toBe(bytes.length);
    expect(Buffer.compare(Buffer.from(back), Buffer.from(bytes))).toBe(0);
  });

  it('answers the contract errors through certified responses', async () => {
    const actor = await actorFor();
    const bad = await actor.begin({
      asset_id: '',
      variant: 'original',
      file_name: 'x',
      content_type: 'text/plain',
      size: 1n,
      chunk_size: 1,
      sha256: [],
      idempotency_key: [],
      public: []
    });
    expect(bad).toHaveProperty('Err.InvalidArgument');
  });

  it('refuses the anonymous principal and tells callers apart', async () => {
    const anonymous = Actor.createActor<IcUploadService>(idlFactory, {
      agent: await HttpAgent.create({ host: network.url, shouldFetchRootKey: true }),
      canisterId: network.canisterId
    });
    const refused = anonymous.begin({
      asset_id: 'a',
      variant: 'original',
      file_name: 'a',
      content_type: 'text/plain',
      size: 1n,
      chunk_size: 1,
      sha256: [],
      idempotency_key: [],
      public: []
    });
    // Refused at canister_inspect_message, before consensus: the anonymous principal can't begin.
    await expect(refused).rejects.toThrow(/rejected the message/i);
    const alice = await actorFor();
    const bob = await actorFor();
    const small = new Uint8Array([1, 2, 3]);
    const path = join(dir, 'alice.txt');
    writeFileSync(path, small);
    await new Uploader({ actor: alice }).upload({ source: await fileSource(path), assetId: 'alice.txt' });
    expect(await bob.get_asset('alice.txt')).toHaveProperty('Err.Forbidden');
    expect(await alice.get_asset('alice.txt')).toHaveProperty('Ok.asset_id', 'alice.txt');
  });
});
