// `ic-upload replica` killed with SIGKILL over and over while uploads run — during calls, input
// log fsyncs, checkpoints (taken every 300 KB of log here) and start-up replays — and started
// again each time: every upload that finished is there byte for byte, and the open one resumes
// from `upload_status` until it finishes too.
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { idlFactory, type IcUploadService } from '../../candid/ic_upload.js';
import { FileJournal, Uploader, downloadAsset, fileSource } from '../../src/client/node/index.js';
import { pseudoRandomBytes } from '../support/bytes.js';
import { exited, replicaProcesses } from '../support/replica_process.js';

// Eight kills land at eight different points of an upload (after 1, 8, 4, 11, 7, 3, 10 and 6
// acknowledged chunks), with checkpoints and replays between them.
const KILLS = 8;
const CHUNK = 64 * 1024;
const replicas = replicaProcesses();

describe('ic-upload replica under repeated SIGKILL', () => {
  it(`keeps every finished upload and resumes the open one across ${KILLS} kills`, async () => {
    const work = mkdtempSync(join(tmpdir(), 'icu-kills-'));
    const stateDir = join(work, 'state');
    const identity = Ed25519KeyIdentity.generate();
    const journal = new FileJournal(join(work, 'journal.json'));
    const files = Array.from({ length: 30 }, (_, i) => {
      const bytes = pseudoRandomBytes(3 * CHUNK + 1000 * i, i + 1);
      const path = join(work, `f${i}.bin`);
      writeFileSync(path, bytes);
      return { name: `f${i}.bin`, path, bytes };
    });
    const finished = new Set<string>();
    let next = 0;
    for (let kill = 0; kill <= KILLS; kill++) {
      const replica = await replicas.start(stateDir, work, { env: { IC_UPLOAD_CHECKPOINT_BYTES: String(300_000) } });
      const agent = await HttpAgent.create({ host: replica.url, identity, shouldFetchRootKey: true });
      const actor = Actor.createActor<IcUploadService>(idlFactory, { agent, canisterId: replica.canisterId });
      // Everything that finished before is still listed.
      const listed = new Set((await actor.list_assets([], 1000)).map((a) => a.asset_id));
      for (const name of finished) expect(listed.has(name), `${name} after ${kill} kills`).toBe(true);
      if (kill === KILLS) {
        // The upload open at the last kill resumes and finishes.
        const open = files[next]!;
        await new Uploader({ actor, chunkSize: CHUNK, journal }).upload({ source: await fileSource(open.path) });
        finished.add(open.name);
        for (const f of files.filter((f) => finished.has(f.name))) {
          const back = await downloadAsset(actor, f.name);
          expect(Buffer.compare(Buffer.from(back.bytes), Buffer.from(f.bytes)), f.name).toBe(0);
        }
        replica.child.kill('SIGKILL');
        break;
      }
      // Upload one file after another until the kill, after a different number of chunks each time.
      const uploader = new Uploader({ actor, chunkSize: CHUNK, journal, concurrency: { chunks: 2 }, retry: { maxAttempts: 1 } });
      const killAfter = 1 + ((kill * 7) % 11);
      let acknowledged = 0;
      const run = (async () => {
        while (next < files.length) {
          const f = files[next]!;
          await uploader.upload(
            { source: await fileSource(f.path) },
            {
              onProgress: () => {
                if (++acknowledged === killAfter) replica.child.kill('SIGKILL');
              }
            }
          );
          finished.add(f.name);
          next++;
        }
      })().catch(() => undefined);
      await exited(replica.child);
      await run;
    }
    expect(finished.size).toBeGreaterThan(1);
  }, 900_000); // 9 replica starts
});
