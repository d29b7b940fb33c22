// `ic-upload deploy-app`: the built app's files land as assets owned by the canister's controller,
// byte for byte, named by their file names (the canister serves `index.html` at `/`).
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idlFactory, type IcUploadService } from '../../candid/ic_upload.js';
import { appUrl, deployApp } from '../../src/cli/commands/deploy_app.js';
import { downloadAsset, memorySource, Uploader } from '../../src/client/index.js';
import { startLocalNetwork, type LocalNetwork } from '../../src/replica/local_network.js';
// @ts-expect-error -- a plain .mjs build script without type declarations
import { buildApp } from '../../scripts/build-app.mjs';

let network: LocalNetwork;
let controller: IcUploadService;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'icu-deploy-'));
  network = await startLocalNetwork({ stateDir: join(dir, 'state'), wasm: new Uint8Array(readFileSync('.azle/ic_upload/ic_upload.wasm')), port: 0 });
  const identity = Ed25519KeyIdentity.fromSecretKey(new Uint8Array(readFileSync(join(dir, 'state', 'keys', 'controller_ed25519'))));
  const agent = await HttpAgent.create({ host: network.url, identity, shouldFetchRootKey: true });
  controller = Actor.createActor<IcUploadService>(idlFactory, { agent, canisterId: network.canisterId });
});
afterAll(() => network?.close());

describe('deploy-app', () => {
  it('uploads every built file as a controller-owned asset, byte for byte, and again on redeploy', async () => {
    const { dir: appDir } = (await buildApp()) as { dir: string };
    for (let round = 0; round < 2; round++) {
      const files = await deployApp(controller, appDir);
      expect(files.map((f) => f.assetId).sort()).toEqual(['index.html', 'signin_ii.js', 'worker.js']);
      for (const f of files) {
        const { blob, bytes } = await downloadAsset(controller, f.assetId);
        expect(Buffer.from(bytes).equals(readFileSync(join(appDir, f.assetId)))).toBe(true);
        expect(blob.owner.toText()).toBe(network.controller);
        expect(blob.content_type).toBe(f.assetId.endsWith('.html') ? 'text/html' : 'text/javascript');
      }
    }
    expect((await controller.list_assets([], 10)).length).toBe(3);
    // The gateway serves the app at `/` (index.html, verified), not sandboxed: it is the controller's.
    const root = await fetch(`${network.url}/?canisterId=${network.canisterId}`);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toBe('text/html');
    expect(root.headers.get('content-security-policy')).toBeNull();
    expect(Buffer.from(await root.arrayBuffer()).equals(readFileSync(join(appDir, 'index.html')))).toBe(true);
  });

  it('serves nothing at `/` when index.html is not a controller\'s upload', async () => {
    const stranger = Actor.createActor<IcUploadService>(idlFactory, {
      agent: await HttpAgent.create({ host: network.url, identity: Ed25519KeyIdentity.generate(), shouldFetchRootKey: true }),
      canisterId: network.canisterId
    });
    expect('Ok' in (await controller.delete_asset('index.html'))).toBe(true);
    expect((await fetch(`${network.url}/?canisterId=${network.canisterId}`)).status).toBe(404);
    await new Uploader({ actor: stranger }).upload({ source: memorySource(new TextEncoder().encode('<p>mine</p>'), 'index.html', 'text/html'), assetId: 'index.html', public: true });
    expect((await fetch(`${network.url}/?canisterId=${network.canisterId}`)).status).toBe(404);
    const own = await fetch(`${network.url}/index.html?canisterId=${network.canisterId}`);
    expect(own.status).toBe(200);
    expect(own.headers.get('content-security-policy')).toBe('sandbox');
  });

  it('refuses a folder without a built app', async () => {
    await expect(deployApp(controller, join(dir, 'nothing'))).rejects.toThrow(/holds no built app/);
  });

  it('names the app URL of the local network and of mainnet', () => {
    expect(appUrl('http://127.0.0.1:4943', 'uxrrr-q7777-77774-qaaaq-cai')).toBe('http://uxrrr-q7777-77774-qaaaq-cai.localhost:4943/');
    expect(appUrl('https://icp-api.io', 'uxrrr-q7777-77774-qaaaq-cai')).toBe('https://uxrrr-q7777-77774-qaaaq-cai.icp0.io/');
  });
});
