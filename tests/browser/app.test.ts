// The browser app in real headless Chromium, opened from the local network's gateway (the canister
// serves it): uploads through the file picker (reached by keyboard) and a folder dropped on the
// page, each checked through the canister; resume after a reload, counting the chunks sent, with
// the main thread never blocked; cancel; thumbnails from certified URLs; make private; the network
// down; a screenshot with the gallery. One local network and one page serve every test, in order.
import { sha256 } from '@noble/hashes/sha2.js';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, HTTPResponse, Page } from 'puppeteer-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetUrl, downloadAsset } from '../../src/client/index.js';
import { pseudoRandomBytes } from '../support/bytes.js';
import { launchBrowser, startAppStack, type AppStack } from './support.js';

const CHUNK = 1_900_000; // the client's default chunk size
const STORED_BEFORE_RELOAD = 3;

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

let appPage: HTTPResponse | null;

async function openApp(): Promise<void> {
  appPage = await page.goto(stack.appUrl);
  await page.waitForSelector('body[data-ready=true]');
}

/** Waits until the upload of `assetId` is in one of `states`; answers the state. */
async function jobState(assetId: string, states: string[]): Promise<string> {
  const handle = await page
    .waitForFunction(
      (id, wanted) => {
        const row = Array.from(document.querySelectorAll<HTMLElement>('#jobs .job')).find((r) => r.dataset.assetId === id);
        return row && wanted.includes(row.dataset.state ?? '') ? row.dataset.state : false;
      },
      { timeout: 180_000, polling: 100 },
      assetId,
      states
    )
    .catch(async (error: unknown) => {
      // Say what the page showed instead.
      const shown = await page.evaluate(() => ({
        jobs: Array.from(document.querySelectorAll<HTMLElement>('#jobs .job'), (r) => `${r.dataset.assetId}: ${r.dataset.state} ${r.textContent}`),
        messages: document.querySelector('#messages')?.textContent
      }));
      throw new Error(`${assetId} never reached ${states.join('/')}: ${JSON.stringify(shown)}`, { cause: error });
    });
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

async function setMakePublic(wanted: boolean): Promise<void> {
  if ((await page.$eval('#make-public', (e) => (e as HTMLInputElement).checked)) !== wanted) await page.click('#make-public');
}

/** An 800×600 PNG of a yellow disc on `background`. */
async function picture(background: { r: number; g: number; b: number }): Promise<Uint8Array> {
  const png = await sharp({ create: { width: 800, height: 600, channels: 3, background } })
    .composite([{ input: Buffer.from('<svg width="800" height="600"><circle cx="400" cy="300" r="200" fill="#fc3"/></svg>') }])
    .png()
    .toBuffer();
  return new Uint8Array(png);
}

/** The gallery thumbnail of `assetId` once it has loaded: where from, and its width. */
async function thumbnail(assetId: string): Promise<{ src: string; width: number }> {
  const handle = await page.waitForFunction(
    (id) => {
      const img = document.querySelector<HTMLImageElement>(`#gallery-list .asset[data-asset-id="${id}"] img`);
      img?.scrollIntoView(); // the thumbnails load lazily
      return img && img.complete && img.naturalWidth > 0 ? { src: img.src, width: img.naturalWidth } : false;
    },
    { polling: 100 },
    assetId
  );
  return (await handle.jsonValue()) as { src: string; width: number };
}

/** A GET from the app's page (its origin, no cache): the status and the body's SHA-256. */
async function fetchInPage(url: string): Promise<{ status: number; sha256: string }> {
  return page.evaluate(async (u) => {
    const response = await fetch(u, { cache: 'no-store' });
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await response.arrayBuffer()));
    return { status: response.status, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('') };
  }, url);
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Starts recording the durations of the page's long tasks (the Long Tasks API). */
async function watchLongTasks(): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((list) => w.longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
  });
}

async function takeLongTasks(): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
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
  it('is served by the canister at / from the gateway, byte for byte the deployed index.html', async () => {
    expect(stack.appUrl).toBe(`http://${stack.canisterId}.localhost:${new URL(stack.networkUrl).port}/`);
    expect(appPage?.url()).toBe(stack.appUrl);
    expect(appPage?.status()).toBe(200);
    const index = await stack.controller.get_asset('index.html');
    const deployed = 'Ok' in index ? index.Ok.variants.find(([v]) => v === 'original')?.[1] : undefined;
    expect(hex(sha256(new Uint8Array(await appPage!.buffer())))).toBe(hex(deployed!.sha256 as Uint8Array));
  });

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

  it('resumes a 20 MB upload after a reload, sending only the chunks the canister lacks, and never blocks the page', async () => {
    const bytes = pseudoRandomBytes(20_000_000, 20);
    const chunkCount = Math.ceil(bytes.length / CHUNK);
    const first = stack.puts.length;
    const principal = await page.$eval('#principal', (e) => e.textContent);
    await watchLongTasks();
    // Three chunks get through, then the link stalls; the page is reloaded while it waits.
    const stall = stack.holdPutChunksAfter(STORED_BEFORE_RELOAD);
    await pickFiles([file('big20.bin', bytes)]);
    await until(() => stack.puts.slice(first).filter((p) => p.answered).length >= STORED_BEFORE_RELOAD, 'three stored chunks');
    const longTasks = await takeLongTasks();
    await page.reload();
    const atReload = stack.puts.length;
    stall.release();
    await page.waitForSelector('body[data-ready=true]');
    await watchLongTasks();
    expect(await page.$eval('#principal', (e) => e.textContent)).toBe(principal); // the same identity
    expect(await jobState('big20.bin', ['finished', 'failed'])).toBe('finished');
    longTasks.push(...(await takeLongTasks()));

    const before = stack.puts.slice(first, atReload);
    const after = stack.puts.slice(atReload);
    const uploadId = before[0]!.uploadId;
    expect(after.every((p) => p.uploadId === uploadId)).toBe(true); // the same upload, not a new one
    const storedBefore = new Set(before.filter((p) => p.answered).map((p) => p.index));
    const sentAfter = after.map((p) => p.index);
    expect(storedBefore.size).toBe(STORED_BEFORE_RELOAD);
    expect(sentAfter.filter((i) => storedBefore.has(i))).toEqual([]); // nothing stored is sent again
    expect(new Set(sentAfter).size).toBe(sentAfter.length); // and nothing twice
    expect(new Set([...storedBefore, ...sentAfter]).size).toBe(chunkCount);
    // The Long Tasks API on the page through both halves, more than 12 MB of it after the reload:
    // no task over 200 ms.
    expect(after.reduce((sum, p) => sum + p.size, 0)).toBeGreaterThan(12_000_000);
    expect(longTasks.filter((d) => d > 200)).toEqual([]);
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

  it('shows public images in the gallery from their certified gateway URLs, and writes a screenshot', async () => {
    const images = { 'sunny.png': await picture({ r: 40, g: 120, b: 220 }), 'shade.png': await picture({ r: 30, g: 30, b: 30 }) };
    await setMakePublic(true);
    await pickFiles(Object.entries(images).map(([name, bytes]) => file(name, bytes)));
    for (const [assetId, bytes] of Object.entries(images)) {
      expect(await jobState(assetId, ['finished', 'failed'])).toBe('finished');
      const asset = await stack.controller.get_asset(assetId);
      expect('Ok' in asset && asset.Ok.variants.map(([v]) => v).sort()).toEqual(['display', 'original', 'placeholder', 'thumb']);
      expect('Ok' in asset && asset.Ok.public).toBe(true);
      // The <img> loaded the thumb variant from the gateway, which verified it before the browser saw it.
      expect(await thumbnail(assetId)).toEqual({ src: assetUrl(stack.canisterId, assetId, { variant: 'thumb', network: stack.networkUrl }), width: 320 });
      const original = await fetchInPage(assetUrl(stack.canisterId, assetId, { network: stack.networkUrl }));
      expect(original).toEqual({ status: 200, sha256: hex(sha256(bytes)) });
    }
    await setMakePublic(false);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/app-gallery.png', fullPage: true });
  });

  it('make private takes an image off its URLs; its thumbnail then comes through verified reads', async () => {
    const card = '#gallery-list .asset[data-asset-id="shade.png"]';
    expect(await page.$eval(`${card} .asset-meta`, (e) => e.textContent)).toContain('public');
    await page.click(`${card} button.toggle-public`);
    await page.waitForFunction((sel) => document.querySelector(`${sel} .asset-meta`)?.textContent?.includes('private'), {}, card);
    expect(await page.$(`${card} button.copy-link`)).toBeNull();
    const answer = await stack.controller.get_asset('shade.png');
    expect('Ok' in answer && answer.Ok.public).toBe(false);
    for (const variant of ['original', 'thumb']) {
      expect((await fetchInPage(assetUrl(stack.canisterId, 'shade.png', { variant, network: stack.networkUrl }))).status).toBe(404);
    }
    const privateThumb = await thumbnail('shade.png');
    expect(privateThumb.src).toMatch(/^blob:/);
    expect(privateThumb.width).toBe(320);
    // The other stays public.
    expect((await fetchInPage(assetUrl(stack.canisterId, 'sunny.png', { network: stack.networkUrl }))).status).toBe(200);
  });

  it('says the network is down when the replica cannot be reached, and carries on when it is back', async () => {
    await stack.setReachable(false);
    try {
      await page.click('#refresh');
      await page.waitForFunction(() => document.querySelector('#messages.error')?.textContent?.startsWith('Cannot reach the network'), { polling: 100 });
    } finally {
      await stack.setReachable(true);
    }
    const before = await page.$$eval('#gallery-list .asset', (cards) => cards.length);
    await page.click('#refresh');
    await page.waitForFunction(() => document.querySelector('#messages:not(.error)')?.textContent === 'Connected again.', { polling: 100 });
    expect(await page.$$eval('#gallery-list .asset', (cards) => cards.length)).toBe(before);
  });
});
