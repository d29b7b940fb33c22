// `npm start` (scripts/start.mjs): the CLI compiled to JavaScript once per change of its sources
// and reused otherwise; the compiled CLI runs, and a start answers the status request.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_OUT, ensureCli } from '../../../scripts/start.mjs';
import { freePort } from '../../support/ports.js';

const STAMP = join(CLI_OUT, 'inputs-sha256');

describe('npm start', () => {
  it('compiles the CLI when its inputs differ from the last compile, and only then', async () => {
    const entry = await ensureCli();
    const compiled = statSync(entry).mtimeMs;
    expect(await ensureCli()).toBe(entry);
    expect(statSync(entry).mtimeMs).toBe(compiled);
    const stamp = readFileSync(STAMP, 'utf8');
    writeFileSync(STAMP, '0'.repeat(64) + '\n');
    await ensureCli();
    expect(readFileSync(STAMP, 'utf8')).toBe(stamp);
    expect(statSync(entry).mtimeMs).toBeGreaterThan(compiled);
    const help = spawnSync(process.execPath, [entry, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^\s+replica\b/m);
  });

  it('starts the local network from the compiled CLI: the status request is answered', async () => {
    const home = mkdtempSync(join(tmpdir(), 'icu-start-'));
    const port = await freePort();
    const child = spawn(process.execPath, [join(process.cwd(), 'scripts', 'start.mjs'), '--port', String(port), '--state-dir', join(home, 'state')], {
      cwd: home,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, IC_UPLOAD_STATE_DIR: home }
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    try {
      let status: Response | undefined;
      while (!status && child.exitCode === null) {
        status = await fetch(`http://127.0.0.1:${port}/api/v2/status`).catch(() => undefined);
        if (!status) await new Promise((r) => setTimeout(r, 50));
      }
      expect(status?.status, stderr).toBe(200);
      expect(status?.headers.get('content-type')).toBe('application/cbor');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 120_000);
});
