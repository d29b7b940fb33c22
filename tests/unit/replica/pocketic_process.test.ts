// The `pocket-ic` process contract pic-js relies on (EMBEDDED_REPLICA_SPEC.md A): port file
// written once listening, a second server leaves an owned port file alone, SIGTERM and --ttl
// remove it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../../scripts/pocket-ic');

function start(args: string[]): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(BIN, args, { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited };
}

async function waitForPort(file: string): Promise<number> {
  for (let i = 0; i < 300; i++) {
    if (existsSync(file)) {
      const port = parseInt(readFileSync(file, 'utf8'), 10);
      if (!Number.isNaN(port)) return port;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no port in ${file}`);
}

describe('pocket-ic process', () => {
  it('writes its port once listening and removes the file on SIGTERM', async () => {
    const portFile = join(mkdtempSync(join(tmpdir(), 'pic-')), 'pocket_ic.port');
    const { child, exited } = start(['--port-file', portFile]);
    const port = await waitForPort(portFile);
    const res = await fetch(`http://127.0.0.1:${port}/instances`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(201);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(portFile)).toBe(false);
  });

  it('exits at once with status 0 when another server owns the port file', async () => {
    const portFile = join(mkdtempSync(join(tmpdir(), 'pic-')), 'pocket_ic.port');
    writeFileSync(portFile, '12345\n');
    const { exited } = start(['--port-file', portFile]);
    expect(await exited).toBe(0);
    expect(readFileSync(portFile, 'utf8')).toBe('12345\n');
  });

  it('shuts down after --ttl seconds without requests', async () => {
    const portFile = join(mkdtempSync(join(tmpdir(), 'pic-')), 'pocket_ic.port');
    const { exited } = start(['--port-file', portFile, '--ttl', '1', '--log-levels', 'error']);
    await waitForPort(portFile);
    expect(await exited).toBe(0);
    expect(existsSync(portFile)).toBe(false);
  });
});
