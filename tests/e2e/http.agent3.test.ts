// The client with @dfinity/agent 3.x: the Uploader and a download through an actor that agent
// made, over the local network's IC HTTP interface; and that agent's errors classified as
// @icp-sdk/core's are.
import { HttpAgent as CoreHttpAgent, Actor as CoreActor } from '@icp-sdk/core/agent';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idlFactory, type IcUploadService } from '../../candid/ic_upload.js';
import { classify, downloadAsset, fileSource, isTransient, summarizeError, Uploader } from '../../src/client/node/index.js';
import { startLocalNetwork, type LocalNetwork } from '../../src/replica/local_network.js';
import { agent3Actor, AgentError } from '../agent3/actor.js';

const WASM = new Uint8Array(readFileSync('.azle/ic_upload/ic_upload.wasm'));
// A canister id outside the local subnet's range: the network answers that it does not host it.
const ELSEWHERE = 'rdmx6-jaaaa-aaaaa-aaadq-cai';

let network: LocalNetwork;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'icu-agent3-'));
  network = await startLocalNetwork({ stateDir: join(dir, 'state'), wasm: WASM, port: 0 });
});
afterAll(() => network?.close());

describe('@dfinity/agent 3.x', () => {
  it('uploads a multi-chunk file with the Uploader and downloads it byte for byte', async () => {
    const actor = await agent3Actor(network.url, network.canisterId);
    const bytes = new Uint8Array(randomBytes(5 * 1024 * 1024 + 123));
    const path = join(dir, 'agent3.bin');
    writeFileSync(path, bytes);
    const variants = await new Uploader({ actor, chunkSize: 1_000_000 }).upload({ source: await fileSource(path), assetId: 'agent3.bin' });
    expect(variants.original!.chunk_count).toBe(6);
    expect(Buffer.from(variants.original!.sha256).toString('hex')).toBe(Buffer.from(sha256(bytes)).toString('hex'));
    const { bytes: back } = await downloadAsset(actor, 'agent3.bin');
    expect(Buffer.compare(Buffer.from(back), Buffer.from(bytes))).toBe(0);
  });

  it('its errors classify as @icp-sdk/core errors do', async () => {
    const core = CoreActor.createActor<IcUploadService>(idlFactory, {
      agent: await CoreHttpAgent.create({ host: network.url, shouldFetchRootKey: true }),
      canisterId: ELSEWHERE
    });
    const old = await agent3Actor(network.url, ELSEWHERE);
    // An update: its certificate is checked against the subnet's canister ranges.
    const fromCore = await core.delete_asset('x').catch((e: unknown) => e);
    const fromOld = await old.delete_asset('x').catch((e: unknown) => e);
    expect(fromOld).toBeInstanceOf(AgentError);
    expect(summarizeError(fromOld)).toEqual(summarizeError(fromCore));
    expect(classify(fromOld).code).toBeDefined();
    expect(isTransient(fromOld)).toBe(false);

    // Nothing listens on port 1: a transport failure, transient, with the same code.
    const down = await agent3Actor('http://127.0.0.1:1', network.canisterId, 0).then(
      (a) => a.stats(),
      (e: unknown) => e
    );
    const coreDown = await CoreHttpAgent.create({ host: 'http://127.0.0.1:1', shouldFetchRootKey: true, retryTimes: 0 }).catch((e: unknown) => e);
    expect(classify(down)).toMatchObject({ code: classify(coreDown).code, transient: true });
  });
});
