// `ic-upload replica` as a user runs it: a separate process keeping its state in a folder. It is
// killed (SIGKILL, no chance to save) in the middle of an upload and started again: the finished
// upload is intact, the canister id is the same, and the interrupted upload resumes from
// `upload_status`, sending only the chunks the canister does not have.
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { idlFactory, type IcUploadService } from '../../candid/ic_upload.js';
import { FileJournal, Uploader, downloadAsset, fileSource } from '../../src/client/node/index.js';
import { exited, replicaProcesses } from '../support/replica_process.js';

const CHUNK = 1_000_000;
const replicas = replicaProcesses();

async function actor(url: string, canisterId: string, identity: Ed25519KeyIdentity): Promise<IcUploadService> {
  const agent = await HttpAgent.create({ host: url, identity, shouldFetchRootKey: true });
  return Actor.createActor<IcUploadService>(idlFactory, { agent, canisterId });
}

/** Counts put_chunk calls on the way to the canister. */
function counting(service: IcUploadService): { service: IcUploadService; puts: number[] } {
  const puts: number[] = [];
  const wrapped = Object.create(service) as IcUploadService;
  wrapped.put_chunk = (args) => {
    puts.push(args.index);
    return service.put_chunk(args);
  };
  return { service: wrapped, puts };
}

describe('ic-upload replica across a kill', () => {
  it('keeps finished uploads and resumes the interrupted one after SIGKILL and restart', async () => {
    const work = mkdtempSync(join(tmpdir(), 'icu-restart-'));
    const stateDir = join(work, 'state');
    const identity = Ed25519KeyIdentity.generate();
    const done = new Uint8Array(randomBytes(3 * CHUNK + 123));
    const open = new Uint8Array(randomBytes(5 * CHUNK));
    writeFileSync(join(work, 'done.bin'), done);
    writeFileSync(join(work, 'open.bin'), open);
    const journal = new FileJournal(join(work, 'journal.json'));

    const first = await replicas.start(stateDir, work);
    const a1 = await actor(first.url, first.canisterId, identity);
    await new Uploader({ actor: a1, chunkSize: CHUNK, journal }).upload({ source: await fileSource(join(work, 'done.bin')) });

    // Interrupt the second upload after three chunks have been acknowledged: the replica dies
    // under the client, which gives up at once (no retries) as a crashed client would.
    const partial = new Uploader({ actor: a1, chunkSize: CHUNK, journal, concurrency: { chunks: 1 }, retry: { maxAttempts: 1 } });
    let acked = 0;
    await partial
      .upload(
        { source: await fileSource(join(work, 'open.bin')) },
        {
          onProgress: (e) => {
            const f = e.file;
            if (f && f.assetId === 'open.bin' && f.bytesAcknowledged >= 3 * CHUNK && acked === 0) {
              acked = f.bytesAcknowledged;
              first.child.kill('SIGKILL');
            }
          }
        }
      )
      .catch(() => undefined);
    await exited(first.child);
    expect(acked).toBeGreaterThanOrEqual(3 * CHUNK);

    const second = await replicas.start(stateDir, work);
    expect(second.canisterId).toBe(first.canisterId);
    const a2 = await actor(second.url, second.canisterId, identity);
    const back = await downloadAsset(a2, 'done.bin');
    expect(Buffer.compare(Buffer.from(back.bytes), Buffer.from(done))).toBe(0);

    const [status] = (await a2.my_uploads()).filter((u) => u.asset_id === 'open.bin');
    expect(status).toBeDefined();
    const received = Array.from(status!.received);
    expect(received.length).toBeGreaterThanOrEqual(3);

    const { service, puts } = counting(a2);
    const variants = await new Uploader({ actor: service, chunkSize: CHUNK, journal }).upload({ source: await fileSource(join(work, 'open.bin')) });
    expect(Buffer.from(variants.original!.sha256)).toEqual(Buffer.from(sha256(open)));
    // Only the chunks the canister did not have were sent again.
    expect(puts.sort()).toEqual([0, 1, 2, 3, 4].filter((i) => !received.includes(i)));
    const reread = await downloadAsset(a2, 'open.bin');
    expect(Buffer.compare(Buffer.from(reread.bytes), Buffer.from(open))).toBe(0);
    second.child.kill('SIGTERM');
  });
});
