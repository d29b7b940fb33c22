// `ic-upload replica` killed with SIGKILL over and over while uploads run, and started again each
// time on the same folder. The test picks where each kill lands, in turn: as a chunk call goes
// out, once a chunk call is answered, at a write to the input log, as a checkpoint begins
// (checkpoints are taken every 100 KB of log here), and during start-up (its replay and the
// checkpoint after it). After every restart each finished upload is listed and every chunk the
// canister had answered is still held by the open upload, which resumes from `upload_status`;
// at the end every finished upload reads back byte for byte.
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { mkdirSync, mkdtempSync, readdirSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { idlFactory, type IcUploadService } from '../../candid/ic_upload.js';
import { FileJournal, Uploader, downloadAsset, fileSource } from '../../src/client/node/index.js';
import { pseudoRandomBytes } from '../support/bytes.js';
import { exited, replicaProcesses, type ReplicaProcess } from '../support/replica_process.js';

type KillPoint = 'call sent' | 'call answered' | 'input log write' | 'checkpoint' | 'start-up';
const POINTS: KillPoint[] = ['call answered', 'call sent', 'input log write', 'start-up', 'checkpoint'];
const KILLS = 20;
const CHUNK = 32 * 1024;
const CHECKPOINT_BYTES = 100_000;
const INPUT_LOG = /^input-.*\.log$/;
const replicas = replicaProcesses();

describe('ic-upload replica under repeated SIGKILL', () => {
  it(`keeps every finished upload and every answered chunk across ${KILLS} kills at chosen points`, async () => {
    const work = mkdtempSync(join(tmpdir(), 'icu-kills-'));
    const stateDir = join(work, 'state');
    // The replica's own files (manifest, page logs, input logs) go here; watched for the kill points.
    const replicaFiles = join(stateDir, 'replica');
    mkdirSync(replicaFiles, { recursive: true });
    const env = { IC_UPLOAD_CHECKPOINT_BYTES: String(CHECKPOINT_BYTES) };
    const identity = Ed25519KeyIdentity.generate();
    const journal = new FileJournal(join(work, 'journal.json'));
    // Four chunks each; more than the kills can use up.
    const files = Array.from({ length: 30 }, (_, i) => {
      const bytes = pseudoRandomBytes(3 * CHUNK + 1000 * i, i + 1);
      const path = join(work, `f${i}.bin`);
      writeFileSync(path, bytes);
      return { name: `f${i}.bin`, path, bytes };
    });
    const finished = new Set<string>();
    /** Chunk indices the canister answered Ok, by upload id: each must survive every kill. */
    const answered = new Map<bigint, { asset: string; chunks: Set<number> }>();
    const landed: KillPoint[] = [];
    let next = 0;

    /** An actor on `replica`; `onCall` sees each update call go out. */
    const connect = async (replica: ReplicaProcess, onCall = () => {}): Promise<IcUploadService> => {
      const observing: typeof fetch = (input, init) => {
        const answer = fetch(input, init);
        if (String(input instanceof Request ? input.url : input).endsWith('/call')) onCall();
        return answer;
      };
      // A killed replica fails the calls in flight at once, as the client's own retries are off
      // (the agent would retry a refused connection with backoff). Query signatures are not what
      // this test is about (http.agent.test.ts checks them): their check costs a certified read
      // of the subnet's keys after every start.
      const agent = await HttpAgent.create({
        host: replica.url,
        identity,
        shouldFetchRootKey: true,
        fetch: observing,
        retryTimes: 0,
        verifyQuerySignatures: false
      });
      return Actor.createActor<IcUploadService>(idlFactory, { agent, canisterId: replica.canisterId });
    };

    /** What survived the last kill: every finished upload, and every answered chunk of the open ones. */
    const checkSurvivors = async (actor: IcUploadService, kills: number): Promise<void> => {
      const listed = new Set((await actor.list_assets([], 1000)).map((a) => a.asset_id));
      for (const name of finished) expect(listed.has(name), `${name} after ${kills} kills`).toBe(true);
      const uploads = new Map((await actor.my_uploads()).map((u) => [u.upload_id, u]));
      for (const [id, { asset, chunks }] of answered) {
        const status = uploads.get(id);
        // A finished upload's status may be gone; its asset is there.
        if (!status || 'Finished' in status.state) {
          expect(listed.has(asset), `${asset} (upload ${id}) after ${kills} kills`).toBe(true);
          continue;
        }
        const received = new Set(status.received);
        for (const index of chunks) expect(received.has(index), `chunk ${index} of upload ${id} after ${kills} kills`).toBe(true);
      }
    };

    for (let kill = 0; kill < KILLS; kill++) {
      const point = POINTS[kill % POINTS.length]!;
      // The n-th event of its kind in this run triggers the kill: a different n each time.
      const nth = 1 + ((kill * 7) % 3);
      let replica: ReplicaProcess | undefined;
      let watcher: FSWatcher | undefined;
      let killed = false;
      const killNow = (at: KillPoint) => {
        if (!replica || killed) return;
        killed = true;
        replica.child.kill('SIGKILL');
        landed.push(at);
      };

      if (point === 'start-up') {
        // Killed at the first file the starting replica writes (the log it resumes, the
        // checkpoint after the replay), or as it answers if it wrote nothing.
        const child = replicas.spawn(stateDir, work, { env });
        replica = { child, url: '', canisterId: '' };
        watcher = watch(replicaFiles, () => killNow('start-up'));
        child.stdout!.once('data', () => killNow('start-up'));
        await exited(child);
        watcher.close();
        continue;
      }

      replica = await replicas.start(stateDir, work, { env });
      let events = 0;
      const count = (at: KillPoint) => {
        if (point === at && ++events === nth) killNow(at);
      };
      // The request is on its way; the kill lands as the replica reads, executes or logs it.
      const actor = await connect(replica, () => count('call sent'));
      await checkSurvivors(actor, kill);
      if (point === 'input log write' || point === 'checkpoint') {
        const logs = new Set(readdirSync(replicaFiles).filter((name) => INPUT_LOG.test(name)));
        watcher = watch(replicaFiles, (event, name) => {
          if (!name || !INPUT_LOG.test(name)) return;
          if (event === 'change') count('input log write');
          // A new input log is the first file a checkpoint writes; its pages and manifest follow.
          else if (!logs.has(name)) killNow('checkpoint');
          logs.add(name);
        });
      }
      // Every Ok answer is recorded, and counted for the kills once a call is answered.
      const observed = Object.create(actor) as IcUploadService;
      observed.put_chunk = async (args) => {
        const result = await actor.put_chunk(args);
        if ('Ok' in result) {
          const upload = answered.get(args.upload_id) ?? { asset: files[next]!.name, chunks: new Set<number>() };
          answered.set(args.upload_id, upload);
          upload.chunks.add(args.index);
          count('call answered');
        }
        return result;
      };
      const uploader = new Uploader({ actor: observed, chunkSize: CHUNK, journal, concurrency: { chunks: 2 }, retry: { maxAttempts: 1 } });
      const run = (async () => {
        while (next < files.length) {
          await uploader.upload({ source: await fileSource(files[next]!.path) });
          finished.add(files[next]!.name);
          next++;
        }
      })().catch(() => undefined);
      await exited(replica.child);
      watcher?.close();
      await run;
    }

    // Each kill landed where it was meant to (a start-up that wrote nothing was killed as it answered).
    expect(landed).toEqual(Array.from({ length: KILLS }, (_, kill) => POINTS[kill % POINTS.length]));

    const replica = await replicas.start(stateDir, work, { env });
    const actor = await connect(replica);
    await checkSurvivors(actor, KILLS);
    // The upload open at the last kill resumes and finishes.
    const open = files[next]!;
    await new Uploader({ actor, chunkSize: CHUNK, journal }).upload({ source: await fileSource(open.path) });
    finished.add(open.name);
    for (const f of files.filter((f) => finished.has(f.name))) {
      const back = await downloadAsset(actor, f.name);
      expect(Buffer.compare(Buffer.from(back.bytes), Buffer.from(f.bytes)), f.name).toBe(0);
    }
    expect(finished.size).toBeGreaterThan(1);
    replica.child.kill('SIGKILL');
  }, 600_000);
});
