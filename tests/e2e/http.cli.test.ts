// The `ic-upload` command against a live local network, as a person uses it from a second
// terminal: put a 21 MB file and a directory of images, ls, get (byte for byte), rm.
import { sha256 } from '@noble/hashes/sha2.js';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLocalNetwork, type LocalNetwork } from '../../src/replica/local_network.js';
import { landscapeJpeg, portraitPng, dimensions } from '../fixtures/images.js';

const run = promisify(execFile);
// The command compiled once for the run (support/compiled_cli.ts): what bin/ic-upload.js runs
// in the package, without the tsx loader's cost at each of these starts.
const BIN = inject('CLI_JS');

let network: LocalNetwork;
let work: string;

/** Runs the CLI as a child process (asynchronously: the replica serves from this process). */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, '--network', network.url, '--canister-id', network.canisterId, ...args], {
      cwd: work,
      env: { ...process.env, IC_UPLOAD_STATE_DIR: join(work, 'cli-state') },
      maxBuffer: 64 * 1024 * 1024
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'icu-cli-'));
  network = await startLocalNetwork({
    stateDir: join(work, 'replica'),
    wasm: new Uint8Array(readFileSync('.azle/ic_upload/ic_upload.wasm')),
    port: 0
  });
});
afterAll(() => network?.close());

describe('ic-upload CLI on the local network', () => {
  const big = new Uint8Array(randomBytes(21 * 1024 * 1024));

  it('puts a 21 MB file and a directory of images', async () => {
    writeFileSync(join(work, 'big.bin'), big);
    mkdirSync(join(work, 'photos'));
    writeFileSync(join(work, 'photos', 'landscape.jpg'), await landscapeJpeg());
    writeFileSync(join(work, 'photos', 'portrait.png'), await portraitPng());
    const put = await cli('put', '--json', 'big.bin', 'photos');
    expect(put.stderr).not.toMatch(/error/i);
    expect(put.code).toBe(0);
    const report = JSON.parse(put.stdout) as { ok: boolean; assets: Array<{ assetId: string; status: string; variants: Record<string, { sha256: string }> }> };
    expect(report.ok).toBe(true);
    const byId = Object.fromEntries(report.assets.map((a) => [a.assetId, a]));
    expect(Object.keys(byId).sort()).toEqual(['big.bin', 'photos/landscape.jpg', 'photos/portrait.png']);
    expect(byId['big.bin']!.variants.original!.sha256).toBe(Buffer.from(sha256(big)).toString('hex'));
    expect(Object.keys(byId['photos/landscape.jpg']!.variants).sort()).toEqual(['display', 'original', 'placeholder', 'thumb']);
  });

  it('lists the assets with their variants', async () => {
    const ls = await cli('ls', '--json');
    expect(ls.code).toBe(0);
    const { ok, assets } = JSON.parse(ls.stdout) as { ok: boolean; assets: Array<{ assetId: string; variants: Record<string, unknown> }> };
    expect(ok).toBe(true);
    expect(assets.map((a) => a.assetId).sort()).toEqual(['big.bin', 'photos/landscape.jpg', 'photos/portrait.png']);
  });

  it('gets the 21 MB file and an image derivative back byte for byte', async () => {
    const get = await cli('get', 'big.bin', '-o', 'big.out');
    expect(get.code).toBe(0);
    expect(Buffer.compare(readFileSync(join(work, 'big.out')), Buffer.from(big))).toBe(0);
    const thumb = await cli('get', 'photos/landscape.jpg', '--variant', 'thumb', '-o', 'thumb.out');
    expect(thumb.code).toBe(0);
    const { width, height } = await dimensions(new Uint8Array(readFileSync(join(work, 'thumb.out'))));
    expect(Math.max(width, height)).toBe(320);
  });

  it('removes an asset, after which get fails with a clear message and exit code 1', async () => {
    expect((await cli('rm', 'big.bin')).code).toBe(0);
    const gone = await cli('get', 'big.bin', '-o', 'gone.out');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: .*big\.bin/m);
    expect(gone.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
    const { assets } = JSON.parse((await cli('ls', '--json')).stdout) as { assets: Array<{ assetId: string }> };
    expect(assets.map((a) => a.assetId).sort()).toEqual(['photos/landscape.jpg', 'photos/portrait.png']);
  });
});
