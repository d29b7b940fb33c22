// `npm start` with nothing changed, timed from the spawn to the first answered status request
// (GET /api/v2/status), as a user restarting the local network sees it. A first start builds
// what is missing and creates the state; the timed ones follow it on the same state folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, median } from './support.js';
import { freePort } from '../tests/support/ports.js';

const RUNS = 3;
const CONFIG = '.ic-upload.json';

async function answered(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/api/v2/status`);
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Starts `npm start` on the folder, answers the seconds until status answers, then stops it. */
async function timedStart(stateDir: string, home: string): Promise<number> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  // Its own process group, so stopping it reaches npm's children (the replica) too.
  const child = spawn('npm', ['start', '--', '--port', String(port), '--state-dir', stateDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
    env: { ...process.env, IC_UPLOAD_STATE_DIR: home }
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}): ${stderr}`);
      if (await answered(url)) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    return (performance.now() - started) / 1000;
  } finally {
    stop(child);
    await exited;
  }
}

function stop(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGINT');
  } catch {
    // already gone
  }
}

export async function startBench() {
  const dir = mkdtempSync(join(tmpdir(), 'icu-bench-start-'));
  const stateDir = join(dir, 'state');
  // `ic-upload replica` writes the network's address to the working folder: keep the user's.
  const before = existsSync(CONFIG) ? readFileSync(CONFIG) : undefined;
  try {
    const first = await timedStart(stateDir, dir);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push(await timedStart(stateDir, dir));
    const seconds = median(times);
    return {
      rows: [
        { what: 'npm start, first (state created)', value: `${fmt(first, 1)} s` },
        { what: `npm start, nothing changed, to the first answered status request (median of ${RUNS}; target ≤ 4 s)`, value: `${fmt(seconds, 2)} s` }
      ],
      json: { first_start_seconds: first, start_seconds: seconds, start_runs: times }
    };
  } finally {
    if (before) writeFileSync(CONFIG, before);
    else rmSync(CONFIG, { force: true });
  }
}
