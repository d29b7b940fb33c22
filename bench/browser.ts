// The browser app's upload rate: one 21 MiB file picked in headless Chromium, uploaded by the
// app's worker through agent-js to the local network, timed from the pick to the finished row;
// beside it the same file from Node (agent-js, same network) for comparison.
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idlFactory, type IcUploadService } from '../candid/ic_upload.js';
import { fileSource, Uploader } from '../src/client/node/index.js';
import { launchBrowser, startAppStack } from '../tests/browser/support.js';
import { fmt } from './support.js';

const MB21 = 21 * 1024 * 1024;

export async function browserBench() {
  const dir = mkdtempSync(join(tmpdir(), 'icu-bench-browser-'));
  const path = join(dir, 'big21.bin');
  writeFileSync(path, randomBytes(MB21));
  const stack = await startAppStack();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(stack.appUrl);
    await page.waitForSelector('body[data-ready=true]');
    const [chooser] = await Promise.all([page.waitForFileChooser(), page.click('#choose-files')]);
    const t = performance.now();
    await chooser.accept([path]);
    await page.waitForSelector('#jobs .job[data-asset-id="big21.bin"][data-state=finished]', { timeout: 600_000 });
    const browserSeconds = (performance.now() - t) / 1000;
    const agent = await HttpAgent.create({ host: stack.network.url, identity: Ed25519KeyIdentity.generate(), shouldFetchRootKey: true });
    const actor = Actor.createActor<IcUploadService>(idlFactory, { agent, canisterId: stack.network.canisterId });
    const t2 = performance.now();
    await new Uploader({ actor }).upload({ source: await fileSource(path), assetId: 'node21.bin' });
    const nodeSeconds = (performance.now() - t2) / 1000;
    return {
      rows: [
        { what: '21 MiB upload from the browser app (headless Chromium, Web Worker, agent-js)', value: `${fmt(browserSeconds, 1)} s = ${fmt(MB21 / 1e6 / browserSeconds, 2)} MB/s` },
        { what: 'the same file from Node (agent-js), same network', value: `${fmt(nodeSeconds, 1)} s = ${fmt(MB21 / 1e6 / nodeSeconds, 2)} MB/s` }
      ],
      json: { browser_upload_21mib_seconds: browserSeconds, node_upload_21mib_seconds: nodeSeconds }
    };
  } finally {
    await browser.close();
    await stack.close();
  }
}
