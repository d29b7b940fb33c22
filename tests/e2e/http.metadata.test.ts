// Canister metadata as IC tools read it: the build embeds `candid:service` as an `icp:public`
// custom section, and the local network serves it through read_state
// (/canister/<id>/metadata/<name>) with agent-js's CanisterStatus, as dfx and icp do before
// `canister call`; `icp:private` sections go to controllers only.
import { CanisterStatus, HttpAgent } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCustomSection } from '../../scripts/candid_metadata.mjs';
import { startLocalNetwork, type LocalNetwork } from '../../src/replica/local_network.js';
import { contractInterface, didInterface } from '../support/candid_interface.js';

const BUILT = new Uint8Array(readFileSync('.azle/ic_upload/ic_upload.wasm'));
const SECRET = new TextEncoder().encode('for controllers only');
// The build's Wasm plus a private section, to see who may read it.
const WASM = withCustomSection(BUILT, 'icp:private ic-upload:test-secret', SECRET);

let network: LocalNetwork;
let stateDir: string;

const agentFor = (identity = Ed25519KeyIdentity.generate()) => HttpAgent.create({ host: network.url, identity, shouldFetchRootKey: true });
const metadataPath = (name: string) => [new TextEncoder().encode('canister'), Principal.fromText(network.canisterId).toUint8Array(), new TextEncoder().encode('metadata'), new TextEncoder().encode(name)];

beforeAll(async () => {
  stateDir = join(mkdtempSync(join(tmpdir(), 'icu-metadata-')), 'state');
  network = await startLocalNetwork({ stateDir, wasm: WASM, port: 0 });
});
afterAll(() => network?.close());

describe('canister metadata over read_state', () => {
  it('the build embeds candid/ic_upload.did as icp:public candid:service', () => {
    const sections = WebAssembly.Module.customSections(new WebAssembly.Module(BUILT), 'icp:public candid:service');
    expect(sections).toHaveLength(1);
    expect(Buffer.from(sections[0]!).toString('utf8')).toBe(readFileSync('candid/ic_upload.did', 'utf8'));
  });

  it('serves candid:service to anyone, and it parses to the contract', async () => {
    const status = await CanisterStatus.request({ canisterId: Principal.fromText(network.canisterId), agent: await agentFor(), paths: ['candid'] });
    const did = status.get('candid');
    expect(typeof did).toBe('string');
    expect(await didInterface(did as string)).toEqual(contractInterface());
  });

  it('serves icp:private sections to controllers only', async () => {
    const stranger = await agentFor();
    await expect(stranger.readState(network.canisterId, { paths: [metadataPath('ic-upload:test-secret')] })).rejects.toThrow(/403|can only be requested by the controllers/);
    const controller = Ed25519KeyIdentity.fromSecretKey(new Uint8Array(readFileSync(join(stateDir, 'keys', 'controller_ed25519'))));
    expect(controller.getPrincipal().toText()).toBe(network.controller);
    const status = await CanisterStatus.request({
      canisterId: Principal.fromText(network.canisterId),
      agent: await agentFor(controller),
      paths: [new CanisterStatus.CustomPath('secret', 'ic-upload:test-secret', 'raw')]
    });
    expect(Buffer.from(status.get('secret') as Uint8Array).toString('hex')).toBe(Buffer.from(SECRET).toString('hex'));
  });
});
