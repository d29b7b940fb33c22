// The `ic-upload` command's rough edges, each against the live local network as a user meets them:
// more files than the canister's open-upload limit, a Ctrl-C (here SIGKILL) right after `begin`
// went out, `abort`, unchanged files, `get` over an existing file, the network found from the
// project folder, a second replica, and --help.
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { idlFactory, type IcUploadService } from '../../candid/ic_upload.js';
import { identityFromPemFile } from '../../src/cli/identity.js';
import { startLocalNetwork, type LocalNetwork } from '../../src/replica/local_network.js';
import { pseudoRandomBytes as bytes } from '../support/bytes.js';

const run = promisify(execFile);
// The command compiled once for the run (support/compiled_cli.ts), without the tsx loader's cost
// at each of these starts; the second replica runs bin/ic-upload.js, as a clone's user does.
const BIN = inject('CLI_JS');
const SOURCE_BIN = join(process.cwd(), 'bin/ic-upload.js');

let network: LocalNetwork;
let work: string;
const children: ChildProcess[] = [];

const env = () => ({ ...process.env, IC_UPLOAD_STATE_DIR: join(work, 'cli-state') });

async function cli(args: string[], options: { cwd?: string; network?: string | false } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const target = options.network === false ? [] : ['--network', options.network ?? network.url, '--canister-id', network.canisterId];
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...target, ...args], { cwd: options.cwd ?? work, env: env(), maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** The CLI's own identity (made on its first run), to look at the canister as the CLI's caller. */
async function asCli(): Promise<IcUploadService> {
  const identity = await identityFromPemFile(join(work, 'cli-state', 'identity.pem'));
  const agent = await HttpAgent.create({ host: network.url, identity, shouldFetchRootKey: true });
  return Actor.createActor<IcUploadService>(idlFactory, { agent, canisterId: network.canisterId });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'icu-cli-usability-'));
  network = await startLocalNetwork({ stateDir: join(work, 'replica'), wasm: new Uint8Array(readFileSync('.azle/ic_upload/ic_upload.wasm')), port: 0 });
});
afterAll(async () => {
  children.forEach((c) => c.kill('SIGKILL'));
  await network?.close();
});

describe('ic-upload CLI usability on the local network', () => {
  it('put -c 32 of 24 files fits the 16 open uploads per caller and queues the rest, with plain progress lines', async () => {
    mkdirSync(join(work, 'many'));
    for (let i = 0; i < 24; i++) writeFileSync(join(work, 'many', `f${String(i).padStart(2, '0')}.bin`), bytes(3000 + i, i));
    const put = await cli(['put', '-c', '32', '--chunk-concurrency', '1', 'many']);
    expect(put.stderr).not.toMatch(/error|failed/i);
    expect(put.code).toBe(0);
    expect(put.stderr).toMatch(/^24 of 24 uploaded/m);
    expect(put.stderr).toMatch(/^\[\d+\/24 files\] 100% /m);
    const assets = await (await asCli()).list_assets([], 100);
    expect(assets.filter((a) => a.asset_id.startsWith('many/'))).toHaveLength(24);
  });

  it('put skips files whose asset holds the same SHA-256, and --force uploads them again', async () => {
    writeFileSync(join(work, 'many', 'f00.bin'), bytes(3000, 99)); // same size, other bytes
    const again = JSON.parse((await cli(['put', '--json', 'many'])).stdout) as { ok: boolean; assets: Array<{ assetId: string; status: string }> };
    expect(again.ok).toBe(true);
    const status = Object.fromEntries(again.assets.map((a) => [a.assetId, a.status]));
    expect(status['many/f00.bin']).toBe('finished');
    expect(Object.values(status).filter((s) => s === 'unchanged')).toHaveLength(23);
    const forced = JSON.parse((await cli(['put', '--json', '--force', 'many/f01.bin'])).stdout) as { assets: Array<{ status: string }> };
    expect(forced.assets.map((a) => a.status)).toEqual(['finished']);
  });

  it('get shows progress, refuses to overwrite a file, and overwrites it with --force', async () => {
    writeFileSync(join(work, 'f02.bin'), 'mine');
    const refused = await cli(['get', 'many/f02.bin']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/f02\.bin already exists: pass --force to overwrite it/);
    expect(readFileSync(join(work, 'f02.bin'), 'utf8')).toBe('mine');
    const forced = await cli(['get', 'many/f02.bin', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/^get many\/f02\.bin: 100% /m);
    expect(Buffer.compare(readFileSync(join(work, 'f02.bin')), Buffer.from(bytes(3002, 2)))).toBe(0);
  });

  it('a put killed right after begin went out leaves no stray upload: the next put resumes it', async () => {
    writeFileSync(join(work, 'killed.bin'), bytes(2_500_000, 7));
    // A proxy in front of the network: the first call (an update: `begin`) is forwarded and the
    // CLI is killed before the answer reaches it.
    let child: ChildProcess | undefined;
    let begun!: () => void;
    const forwardedBegin = new Promise<void>((resolve) => (begun = resolve));
    let calls = 0;
    const proxy: Server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const isCall = req.method === 'POST' && /\/call$/.test(req.url ?? '');
      if (isCall && calls++ === 0) child!.kill('SIGKILL');
      const answer = await fetch(network.url + req.url, { method: req.method, headers: { 'content-type': req.headers['content-type'] ?? 'application/cbor' }, body: chunks.length ? Buffer.concat(chunks) : undefined });
      const body = Buffer.from(await answer.arrayBuffer());
      if (isCall && calls === 1) {
        begun();
        return res.destroy();
      }
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/cbor' }).end(body);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    child = spawn(process.execPath, [BIN, '--network', proxyUrl, '--canister-id', network.canisterId, 'put', 'killed.bin'], { cwd: work, env: env(), stdio: 'ignore' });
    children.push(child);
    await forwardedBegin;
    await new Promise((resolve) => child!.once('exit', resolve));
    proxy.close();

    const actor = await asCli();
    const open = (await actor.my_uploads()).filter((u) => u.asset_id === 'killed.bin');
    expect(open.map((u) => Object.keys(u.state)[0])).toEqual(['Open']); // begin ran; no chunk arrived
    expect(open[0]!.received).toHaveLength(0);

    const resumed = JSON.parse((await cli(['put', '--json', 'killed.bin'])).stdout) as { ok: boolean; assets: Array<{ resumed: boolean }> };
    expect(resumed).toMatchObject({ ok: true, assets: [{ resumed: true }] });
    const after = (await actor.my_uploads()).filter((u) => u.asset_id === 'killed.bin');
    expect(after.map((u) => [u.upload_id, Object.keys(u.state)[0]])).toEqual([[open[0]!.upload_id, 'Finished']]);
  });

  it('abort stops open uploads by asset id and by upload id', async () => {
    const actor = await asCli();
    const begin = (asset: string) =>
      actor.begin({ asset_id: asset, variant: 'original', file_name: asset, content_type: 'text/plain', size: 10n, chunk_size: 10, sha256: [], idempotency_key: [], public: [] });
    const a = await begin('dangling.txt');
    const b = await begin('dangling.txt');
    const c = await begin('other.txt');
    expect('Ok' in a && 'Ok' in b && 'Ok' in c).toBe(true);
    const byAsset = await cli(['abort', 'dangling.txt']);
    expect(byAsset.code).toBe(0);
    expect(byAsset.stdout.trim().split('\n')).toHaveLength(2);
    const id = 'Ok' in c ? c.Ok.upload_id : 0n;
    expect((await cli(['abort', id.toString()])).stdout).toMatch(new RegExp(`^aborted upload ${id}$`, 'm'));
    const states = (await actor.my_uploads()).filter((u) => ['dangling.txt', 'other.txt'].includes(u.asset_id)).map((u) => Object.keys(u.state)[0]);
    expect(states).toEqual(['Aborted', 'Aborted', 'Aborted']);
    const none = await cli(['abort', 'dangling.txt']);
    expect(none).toMatchObject({ code: 1 });
    expect(none.stderr).toMatch(/asset dangling\.txt has no open upload of yours/);
  });

  it('finds the network in the project folder, walking up, before the user-wide file', async () => {
    const project = join(work, 'project');
    mkdirSync(join(project, 'src', 'deep'), { recursive: true });
    writeFileSync(join(project, '.ic-upload.json'), JSON.stringify({ url: network.url, canisterId: network.canisterId }));
    // The user-wide entry points at a replica that is not there.
    mkdirSync(join(work, 'cli-state'), { recursive: true });
    writeFileSync(join(work, 'cli-state', '.ic-upload.json'), JSON.stringify({ url: 'http://127.0.0.1:1', canisterId: network.canisterId }));
    const ls = await cli(['ls', '--json', '--prefix', 'many/'], { cwd: join(project, 'src', 'deep'), network: false });
    expect(ls.stderr).toBe('');
    expect((JSON.parse(ls.stdout) as { assets: unknown[] }).assets).toHaveLength(24);
  });

  it('a replica does not overwrite the entry of another running replica', async () => {
    const folder = join(work, 'second');
    mkdirSync(folder);
    // This test process stands for the replica that wrote the entry: it is alive.
    const entry = JSON.stringify({ url: network.url, canisterId: network.canisterId, pid: process.pid });
    writeFileSync(join(folder, '.ic-upload.json'), entry);
    const child = spawn(process.execPath, [SOURCE_BIN, 'replica', '--state-dir', join(folder, 'state'), '--port', '0', '--json'], {
      cwd: folder,
      env: { ...process.env, IC_UPLOAD_STATE_DIR: join(folder, 'user-state') },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`replica exited with ${code}: ${stderr}`)));
    });
    const started = JSON.parse(line) as { url: string; canisterId: string };
    expect(started.url).not.toBe(network.url);
    expect(readFileSync(join(folder, '.ic-upload.json'), 'utf8')).toBe(entry);
    expect(stderr).toMatch(/not updating .*\.ic-upload\.json: it belongs to the replica running as process \d+/);
    // The user-wide file had no live owner: it now names the new replica.
    expect(JSON.parse(readFileSync(join(folder, 'user-state', '.ic-upload.json'), 'utf8'))).toMatchObject({ url: started.url, pid: child.pid });
    child.kill('SIGTERM');
  });

  it('--help at every level shows the global options and the exit codes', async () => {
    for (const args of [['--help'], ['put', '--help'], ['get', '--help'], ['abort', '--help'], ['replica', '--help']]) {
      const help = await cli(args, { network: false });
      expect(help.code, args.join(' ')).toBe(0);
      expect(help.stdout).toMatch(/--canister-id <id>/);
      expect(help.stdout).toMatch(/Exit codes:\n\s+0 /);
      expect(help.stdout).toMatch(/\b2\s+usage error/);
    }
  });
});
