// `ic-upload replica` across kills, as an attacker with a captured request sees it: a signed
// delete_asset replayed after a SIGKILL and restart (the replica no longer holds its result) is
// refused and deletes nothing; and damaged key or canister files stop the replica at start with
// a message naming the file.
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cbor } from '@icp-sdk/core/agent';
import { describe, expect, it } from 'vitest';
import { idlFactory, type IcUploadService } from '../../candid/ic_upload.js';
import { Uploader, downloadAsset, fileSource } from '../../src/client/node/index.js';
import { killReplica, replicaProcesses } from '../support/replica_process.js';

const replicas = replicaProcesses();

/** Starts a replica expected to refuse its state folder: its exit code and stderr. */
async function refusedStart(stateDir: string, cwd: string): Promise<{ code: number | null; stderr: string }> {
  const child = replicas.spawn(stateDir, cwd, { stderr: 'pipe' });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stderr };
}

interface Captured {
  url: string;
  body: Uint8Array;
}

/** An agent whose signed call bodies are kept, as a network observer would keep them. */
async function capturingActor(url: string, canisterId: string, identity: Ed25519KeyIdentity, calls: Captured[]): Promise<IcUploadService> {
  const recording: typeof fetch = async (input, init) => {
    const target = String(input instanceof Request ? input.url : input);
    const body: unknown = init?.body;
    if (target.endsWith('/call') && body instanceof Uint8Array) calls.push({ url: target, body: body.slice() });
    else if (target.endsWith('/call') && body instanceof ArrayBuffer) calls.push({ url: target, body: new Uint8Array(body.slice(0)) });
    return fetch(input, init);
  };
  const agent = await HttpAgent.create({ host: url, identity, shouldFetchRootKey: true, fetch: recording });
  return Actor.createActor<IcUploadService>(idlFactory, { agent, canisterId });
}

function methodOf(body: Uint8Array): string {
  return (Cbor.decode(body) as { content: { method_name: string } }).content.method_name;
}

describe('ic-upload replica: replays and damage', () => {
  it('refuses a captured delete_asset replayed after a kill and restart; the re-uploaded asset stays', async () => {
    const work = mkdtempSync(join(tmpdir(), 'icu-replay-'));
    const stateDir = join(work, 'state');
    const identity = Ed25519KeyIdentity.generate();
    const calls: Captured[] = [];
    const first = await replicas.start(stateDir, work);
    const a1 = await capturingActor(first.url, first.canisterId, identity, calls);
    const path = join(work, 'a.bin');
    writeFileSync(path, randomBytes(3000));
    await new Uploader({ actor: a1 }).upload({ source: await fileSource(path) });
    expect(await a1.delete_asset('a.bin')).toEqual({ Ok: null });
    const captured = calls.find((c) => methodOf(c.body) === 'delete_asset')!;
    expect(captured).toBeDefined();
    const again = new Uint8Array(randomBytes(4000));
    writeFileSync(path, again);
    await new Uploader({ actor: a1 }).upload({ source: await fileSource(path) });
    await killReplica(first.child);

    const second = await replicas.start(stateDir, work);
    const replayUrl = captured.url.replace(first.url, second.url);
    const res = await fetch(replayUrl, { method: 'POST', headers: { 'content-type': 'application/cbor' }, body: captured.body as Uint8Array<ArrayBuffer> });
    // Answered from the history (the restart replayed the original execution): not run again.
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const a2 = await capturingActor(second.url, second.canisterId, identity, []);
    const back = await downloadAsset(a2, 'a.bin');
    expect(Buffer.compare(Buffer.from(back.bytes), Buffer.from(again))).toBe(0);

    // The same replay after a second kill: still refused, still nothing deleted.
    await killReplica(second.child);
    const third = await replicas.start(stateDir, work);
    const late = await fetch(captured.url.replace(first.url, third.url), { method: 'POST', headers: { 'content-type': 'application/cbor' }, body: captured.body as Uint8Array<ArrayBuffer> });
    // The second start took a checkpoint, which keeps the request id but not the reply: `done`.
    expect(late.status).toBe(200);
    const answer = Cbor.decode(new Uint8Array(await late.arrayBuffer())) as { status: string; certificate: Uint8Array };
    expect(answer.status).toBe('replied');
    expect(Buffer.from(answer.certificate).includes(Buffer.from('done'))).toBe(true);
    const a3 = await capturingActor(third.url, third.canisterId, identity, []);
    expect(Buffer.compare(Buffer.from((await downloadAsset(a3, 'a.bin')).bytes), Buffer.from(again))).toBe(0);
    await killReplica(third.child);

    // Damaged key and canister files: refused at start, naming the file.
    for (const file of ['keys/root_bls12_381.key', 'keys/node_ed25519.key', 'keys/controller_ed25519', 'canister.json']) {
      const copy = join(work, `damaged-${file.replace(/\W/g, '_')}`);
      cpSync(stateDir, copy, { recursive: true });
      const bytes = readFileSync(join(copy, file));
      writeFileSync(join(copy, file), file.endsWith('.json') ? bytes.subarray(0, 10) : Buffer.concat([bytes.subarray(0, 20), Buffer.from('xx')]));
      const { code, stderr } = await refusedStart(copy, work);
      expect(code).not.toBe(0);
      expect(stderr).toContain(join(copy, file));
    }
  });
});
