// The browser app in real headless Chromium: uploads through the file picker (reached by keyboard)
// and a folder dropped on the page, each checked through the canister; resume after a reload,
// counting the chunks sent; cancel; the main thread never blocked; a screenshot with the gallery.
import { sha256 } from '@noble/hashes/sha2.js';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadAsset } from '../../src/client/index.js';
import { pseudoRandomBytes } from '../support/bytes.js';
import { launchBrowser, startAppStack, type AppStack } from './support.js';

const CHUNK = 1_900_000; // the client's default chunk size

let stack: AppStack;
let browser: Browser;
let page: Page;
let dir: string;

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}

async function openApp(): Promise<void> {
  await page.goto(stack.appUrl);
  await page.waitForSelector('body[data-ready=true]');
}

/** Waits until the upload of `assetId` is in one of `states`; answers the state. */
async function jobState(assetId: string, states: string[]): Promise<string> {
  const handle = await page.waitForFunction(
    (id, wanted) => {
      const row = Array.from(document.querySelectorAll<HTMLElement>('#jobs .job')).find((r) => r.dataset.assetId === id);
      return row && wanted.includes(row.dataset.state ?? '') ? row.dataset.state : false;
    },
    { timeout: 180_000, polling: 100 },
    assetId,
    states
  );
  return (await handle.jsonValue()) as string;
}

/** The asset as the canister has it, read back by the controller and verified. */
async function stored(assetId: string): Promise<Uint8Array> {
  return (await downloadAsset(stack.controller, assetId)).bytes;
}

async function pickFiles(paths: string[]): Promise<void> {
  const [chooser] = await Promise.all([page.waitForFileChooser(), page.click('#choose-files')]);
  await chooser.accept(paths);
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 3000 && !condition(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'icu-app-files-'));
  stack = await startAppStack();
  browser = await launchBrowser();
  page = await browser.newPage();
  // The machine is small and shared: waits are bounded by what a slow run needs, not by puppeteer's 30 s.
  page.setDefaultTimeout(180_000);
  await page.setViewport({ width: 1000, height: 900 });
  await openApp();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('the browser app', () => {
  it('signs in with a non-extractable ECDSA key kept in IndexedDB', async () => {
    const key = await page.evaluate(
      () =>
        new Promise<{ extractable: boolean; algorithm: string; usages: string[] }>((resolve, reject) => {
          const open = indexedDB.open('ic-upload-app');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const get = open.result.transaction('keys').objectStore('keys').get('local-ecdsa');
            get.onsuccess = () => {
              const k = (get.result as CryptoKeyPair).privateKey;
              open.result.close();
              resolve({ extractable: k.extractable, algorithm: (k.algorithm as EcKeyAlgorithm).namedCurve, usages: k.usages });
            };
          };
        })
    );
    expect(key).toEqual({ extractable: false, algorithm: 'P-256', usages: ['sign'] });
    expect(await page.$eval('#principal', (e) => e.textContent)).toMatch(/^[a-z0-9]{5}(-[a-z0-9]{5})+-[a-z0-9]{3}$/);
  });

  it('uploads three files picked by keyboard and a dropped folder, each stored byte for byte', async () => {
    const picked = { 'one.txt': pseudoRandomBytes(1_000, 1), 'two.bin': pseudoRandomBytes(2_500_000, 2), 'three.bin': pseudoRandomBytes(70_000, 3) };
    // Keyboard only: Tab to the drop zone, Enter opens the file picker.
    let focused = '';
    for (let i = 0; i < 10 && focused !== 'drop-zone'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.id ?? '');
    }
    expect(focused).toBe('drop-zone');
    // The chooser is intercepted only once puppeteer has enabled interception: start waiting,
    // let a round trip to the page pass, then press Enter (under load the two raced).
    const choosing = page.waitForFileChooser();
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(done)));
    expect(await page.evaluate(() => document.activeElement?.id ?? '')).toBe('drop-zone');
    await page.keyboard.press('Enter');
    const chooser = await choosing;
    await chooser.accept(Object.entries(picked).map(([name, bytes]) => file(name, bytes)));

    // A folder dropped on the page (a real drag through the DevTools protocol, with its entries).
    const folder = { 'album/a.txt': pseudoRandomBytes(500, 4), 'album/nested/b.bin': pseudoRandomBytes(3_000_000, 5) };
    for (const [name, bytes] of Object.entries(folder)) file(name, bytes);
    const zone = (await (await page.$('#drop-zone'))!.boundingBox())!;
    const cdp = await page.createCDPSession();
    const data = { items: [], files: [join(dir, 'album')], dragOperationsMask: 1 };
    for (const type of ['dragEnter', 'dragOver', 'drop'] as const) {
      await cdp.send('Input.dispatchDragEvent', { type, x: zone.x + zone.width / 2, y: zone.y + zone.height / 2, data });
    }

    const all = { ...picked, ...folder };
    for (const [assetId, bytes] of Object.entries(all)) {
      expect(await jobState(assetId, ['finished', 'failed'])).toBe('finished');
      const back = await stored(assetId);
      expect(Buffer.from(sha256(back)).toString('hex')).toBe(Buffer.from(sha256(bytes)).toString('hex'));
    }
    await page.waitForFunction((n) => document.querySelectorAll('#gallery-list .asset').length >= n, {}, Object.keys(all).length);
  });

  it('resumes a 20 MB upload after a reload, sending only the chunks the canister lacks', async () => {
    const bytes = pseudoRandomBytes(20_000_000, 20);
    const chunkCount = Math.ceil(bytes.length / CHUNK);
    const first = stack.puts.length;
    const principal = await page.$eval('#principal', (e) => e.textContent);
    await pickFiles([file('big20.bin', bytes)]);
    // Reload once a few chunks are stored, well before the end.
    await until(() => stack.puts.slice(first).filter((p) => p.answered).length >= 3, 'three stored chunks');
    await page.reload();
    const atReload = stack.puts.length;
    await page.waitForSelector('body[data-ready=true]');
    expect(await page.$eval('#principal', (e) => e.textContent)).toBe(principal); // the same identity
    expect(await jobState('big20.bin', ['finished', 'failed'])).toBe('finished');

    const before = stack.puts.slice(first, atReload);
    const after = stack.puts.slice(atReload);
    const uploadId = before[0]!.uploadId;
    expect(after.every((p) => p.uploadId === uploadId)).toBe(true); // the same upload, not a new one
    const storedBefore = new Set(before.filter((p) => p.answered).map((p) => p.index));
    const sentAfter = after.map((p) => p.index);
    expect(storedBefore.size).toBeGreaterThanOrEqual(3);
    expect(storedBefore.size).toBeLessThan(chunkCount);
    expect(sentAfter.filter((i) => storedBefore.has(i))).toEqual([]); // nothing stored is sent again
    expect(new Set(sentAfter).size).toBe(sentAfter.length); // and nothing twice
    expect(new Set([...storedBefore, ...sentAfter]).size).toBe(chunkCount);
    expect(await page.$eval('#jobs .job[data-asset-id="big20.bin"] .job-detail', (e) => e.textContent)).toContain('resumed');
    expect(Buffer.from(sha256(await stored('big20.bin'))).equals(Buffer.from(sha256(bytes)))).toBe(true);
  });

  it('pauses, then cancel frees the upload on the canister', async () => {
    const before = await stack.controller.stats();
    const first = stack.puts.length;
    await pickFiles([file('cancelled.bin', pseudoRandomBytes(15_000_000, 15))]);
    const row = '#jobs .job[data-asset-id="cancelled.bin"]';
    await (await page.waitForSelector(`${row} button.pause`, { visible: true }))!.click();
    expect(await jobState('cancelled.bin', ['paused', 'finished'])).toBe('paused');
    // Paused: the upload is open on the canister (a chunk already read may still go out).
    let stats = await stack.controller.stats();
    for (let i = 0; i < 100 && stats.open_uploads === before.open_uploads; i++) stats = await stack.controller.stats();
    expect(stats.open_uploads).toBe(before.open_uploads + 1n);
    await (await page.waitForSelector(`${row} button.cancel`, { visible: true }))!.click();
    expect(await jobState('cancelled.bin', ['cancelled', 'finished', 'failed'])).toBe('cancelled');
    expect(stack.puts.length - first).toBeLessThan(Math.ceil(15_000_000 / CHUNK)); // stopped midway
    const after = await stack.controller.stats();
    expect(after.open_uploads).toBe(before.open_uploads);
    expect(after.stored_bytes).toBe(before.stored_bytes);
    expect(await stack.controller.get_asset('cancelled.bin')).toHaveProperty('Err.NotFound');
  });

  it('keeps the main thread free during a 12 MB upload (no task over 200 ms)', async () => {
    await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((list) => w.longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
    });
    await pickFiles([file('twelve.bin', pseudoRandomBytes(12_000_000, 12))]);
    expect(await jobState('twelve.bin', ['finished', 'failed'])).toBe('finished');
    const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
    expect(longTasks.filter((d) => d > 200)).toEqual([]);
  });

  it('shows an image in the gallery with its thumbnail, and writes a screenshot', async () => {
    const png = await sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 40, g: 120, b: 220 } } })
      .composite([{ input: Buffer.from('<svg width="800" height="600"><circle cx="400" cy="300" r="200" fill="#fc3"/></svg>') }])
      .png()
      .toBuffer();
    await pickFiles([file('sunny.png', new Uint8Array(png))]);
    expect(await jobState('sunny.png', ['finished', 'failed'])).toBe('finished');
    const asset = await stack.controller.get_asset('sunny.png');
    expect('Ok' in asset && asset.Ok.variants.map(([v]) => v).sort()).toEqual(['display', 'original', 'placeholder', 'thumb']);
    // Private, so the thumbnail comes through verified Candid reads into a blob: URL.
    const width = await page.waitForFunction(
      () => {
        const img = document.querySelector<HTMLImageElement>('#gallery-list .asset[data-asset-id="sunny.png"] img');
        return img && img.complete && img.naturalWidth > 0 ? img.naturalWidth : false;
      },
      { timeout: 60_000 }
    );
    expect(await width.jsonValue()).toBe(320);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/app-gallery.png', fullPage: true });
  });
});
