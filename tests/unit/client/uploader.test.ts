import { sha256 } from '@noble/hashes/sha2.js';
import { TransportError, HttpFetchErrorCode } from '@icp-sdk/core/agent';
import { describe, expect, it } from 'vitest';
import type { IcUploadService } from '../../../candid/ic_upload.js';
import {
  downloadAsset,
  MemoryJournal,
  memorySource,
  RetriesExhaustedError,
  ServiceError,
  UploadAbortedError,
  Uploader,
  type UploadItem
} from '../../../src/client/index.js';
import { BOB, FakeUploadService, withFaults } from '../../support/fake_upload_service.js';
import { bytes, fakeClock, monotonicViolations, recordProgress } from './helpers.js';

const CHUNK = 1000;
const transient = () => TransportError.fromCode(new HttpFetchErrorCode(new TypeError('fetch failed')));

function item(name: string, size: number, seed: number): UploadItem {
  return { source: memorySource(bytes(size, seed), name, 'application/octet-stream', 1_700_000_000_000) };
}

/** Counts calls in flight at once, per method. */
function concurrencyProbe(service: IcUploadService) {
  const active = new Map<string, number>();
  const peak = new Map<string, number>();
  let openUploads = 0;
  let peakOpen = 0;
  const actor = new Proxy(service, {
    get(target, prop, receiver) {
      const fn = Reflect.get(target, prop, receiver);
      if (typeof fn !== 'function') return fn;
      return async (...args: unknown[]) => {
        const m = String(prop);
        active.set(m, (active.get(m) ?? 0) + 1);
        peak.set(m, Math.max(peak.get(m) ?? 0, active.get(m)!));
        await new Promise((r) => setTimeout(r, 1)); // let other calls overlap
        try {
          const out = await fn.apply(target, args);
          if (m === 'begin') peakOpen = Math.max(peakOpen, ++openUploads);
          if (m === 'finish' && 'Ok' in out) openUploads--;
          return out;
        } finally {
          active.set(m, active.get(m)! - 1);
        }
      };
    }
  });
  return { actor, peak, peakOpen: () => peakOpen };
}

describe('Uploader', () => {
  it('uploads many files within the file and chunk concurrency limits, byte for byte', async () => {
    const fake = new FakeUploadService();
    const probe = concurrencyProbe(fake);
    const uploader = new Uploader({ actor: probe.actor, chunkSize: CHUNK, clock: fakeClock(), concurrency: { files: 3, chunks: 2 } });
    const items = Array.from({ length: 12 }, (_, i) => item(`f${i}.bin`, 500 + i * 731, i + 1));
    const outcomes = await uploader.uploadAll(items);
    expect(outcomes.map((o) => o.status)).toEqual(Array(12).fill('finished'));
    expect(probe.peakOpen()).toBeLessThanOrEqual(3);
    expect(probe.peakOpen()).toBeGreaterThan(1);
    expect(probe.peak.get('put_chunk')).toBeLessThanOrEqual(3 * 2);
    for (const [i, it] of items.entries()) {
      const original = bytes(500 + i * 731, i + 1);
      const { bytes: got, blob } = await downloadAsset(fake, it.source.name);
      expect(got).toEqual(original);
      expect(Uint8Array.from(blob.sha256)).toEqual(sha256(original));
      expect(outcomes[i]!.variants.original!.chunk_count).toBe(Math.ceil(original.length / CHUNK));
    }
  });

  it('recovers from transient failures on begin, put_chunk and finish, finishing with the same digest', async () => {
    const fake = new FakeUploadService();
    const digests: string[] = [];
    const actor = withFaults(fake, (method, n, args) => {
      if (method === 'finish') digests.push(Buffer.from((args[0] as { sha256: [Uint8Array] }).sha256[0]).toString('hex'));
      if (method === 'begin' && n === 1) return transient();
      if (method === 'put_chunk' && (n === 2 || n === 3 || n === 5)) return transient();
      if (method === 'finish' && n <= 3) return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      return undefined;
    });
    const clock = fakeClock();
    const data = bytes(5500, 42);
    const uploader = new Uploader({ actor, chunkSize: CHUNK, clock, concurrency: { chunks: 1 }, retry: { random: () => 0.5 } });
    const variants = await uploader.upload({ source: memorySource(data, 'x.bin'), assetId: 'x' });
    expect(Uint8Array.from(variants.original!.sha256)).toEqual(sha256(data));
    expect(digests).toHaveLength(4);
    expect(new Set(digests)).toEqual(new Set([Buffer.from(sha256(data)).toString('hex')]));
    expect(fake.count('begin')).toBe(1); // the faulted begin never reached the canister
    expect(fake.count('put_chunk')).toBe(6);
    // Backoff grows: the two consecutive put_chunk faults waited 250 then 500 (jitter pinned to the middle).
    // The first finish went right behind the last chunk, once and without a retry; after its
    // fault, the finish after the chunk's answer faulted twice and waited 250 then 500 too.
    expect(clock.sleeps).toEqual([188, 188, 375, 188, 188, 375]);
  });

  it('stops a file at a permanent Err with a typed error naming it, and lets the others finish', async () => {
    const fake = new FakeUploadService();
    // BOB owns "taken" already.
    fake.caller = BOB;
    await new Uploader({ actor: fake, chunkSize: CHUNK, clock: fakeClock() }).upload({ source: memorySource(bytes(10, 9), 'taken.bin'), assetId: 'taken' });
    fake.caller = new FakeUploadService().caller;
    const uploader = new Uploader({ actor: fake, chunkSize: CHUNK, clock: fakeClock() });
    const outcomes = await uploader.uploadAll([
      { source: memorySource(bytes(3000, 1), 'mine.bin'), assetId: 'mine' },
      { source: memorySource(bytes(3000, 2), 'theirs.bin'), assetId: 'taken' }
    ]);
    expect(outcomes[0]!.status).toBe('finished');
    const failed = outcomes[1]!;
    expect(failed.status).toBe('failed');
    if (failed.status === 'finished') throw new Error('unreachable');
    expect(failed.error).toBeInstanceOf(ServiceError);
    const error = failed.error as ServiceError;
    expect(error.code).toBe('Forbidden');
    expect(error.fileName).toBe('theirs.bin');
    expect(error.method).toBe('begin');
  });

  it('answers HashMismatch with a ServiceError, aborts the upload and forgets it', async () => {
    const fake = new FakeUploadService();
    const actor = withFaults(fake, (method, _n, args) => {
      if (method === 'finish') (args[0] as { sha256: [Uint8Array] }).sha256 = [new Uint8Array(32)];
      return undefined;
    });
    const journal = new MemoryJournal();
    const uploader = new Uploader({ actor, journal, chunkSize: CHUNK, clock: fakeClock() });
    const error = await uploader.upload({ source: memorySource(bytes(2500, 3), 'bad.bin') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).code).toBe('HashMismatch');
    expect(fake.count('abort')).toBe(1);
    expect([...fake.sessions.values()][0]!.state).toEqual({ Aborted: null });
    expect(await journal.entries()).toEqual([]);
  });

  it('gives up after the policy allows with RetriesExhaustedError, keeping the journal entry', async () => {
    const fake = new FakeUploadService();
    const actor = withFaults(fake, (method) => (method === 'put_chunk' ? transient() : undefined));
    const journal = new MemoryJournal();
    const clock = fakeClock();
    const uploader = new Uploader({ actor, journal, chunkSize: CHUNK, clock, retry: { maxAttempts: 3 } });
    const error = await uploader.upload({ source: memorySource(bytes(1500, 3), 'net.bin') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as RetriesExhaustedError).attempts).toBe(3);
    expect(await journal.entries()).toHaveLength(1);
    expect(fake.count('abort')).toBe(0);
  });

  it('resumes an interrupted upload from the journal, sending only the missing chunks', async () => {
    const fake = new FakeUploadService();
    const journal = new MemoryJournal();
    const data = bytes(10 * CHUNK + 17, 77);
    const source = () => memorySource(data, 'big.bin', 'application/octet-stream', 1234);
    // The first run "crashes" (a non-transient failure) when it tries to send the fifth chunk.
    const crashing = withFaults(fake, (method, n) => (method === 'put_chunk' && n === 5 ? new Error('process killed') : undefined));
    const first = new Uploader({ actor: crashing, journal, chunkSize: CHUNK, clock: fakeClock(), concurrency: { chunks: 1 } });
    await expect(first.upload({ source: source() })).rejects.toThrow('process killed');
    expect(fake.count('put_chunk')).toBe(4);
    expect(await journal.entries()).toHaveLength(1);

    const { events, onProgress } = recordProgress();
    const second = new Uploader({ actor: fake, journal, chunkSize: CHUNK, clock: fakeClock() });
    const [outcome] = await second.uploadAll([{ source: source() }], { onProgress });
    expect(outcome).toMatchObject({ status: 'finished', resumed: true, bytesSent: 6 * CHUNK + 17 }); // only what this run sent
    const variants = outcome!.variants;
    expect(fake.count('begin')).toBe(1);
    expect(fake.count('upload_status')).toBe(1);
    expect(fake.count('put_chunk')).toBe(4 + 7); // 11 chunks in all, 4 already there
    expect(fake.putLog.slice(4).map((p) => p.index)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    expect(Uint8Array.from(variants.original!.sha256)).toEqual(sha256(data));
    expect(events[0]!.file.bytesAcknowledged).toBe(4 * CHUNK); // known stored before anything is sent
    expect(await journal.entries()).toEqual([]);
  });

  it('starts afresh when the journal names an upload the canister no longer has open', async () => {
    const fake = new FakeUploadService();
    const journal = new MemoryJournal();
    const data = bytes(3 * CHUNK, 5);
    const crashing = withFaults(fake, (method, n) => (method === 'put_chunk' && n === 2 ? new Error('killed') : undefined));
    await new Uploader({ actor: crashing, journal, chunkSize: CHUNK, clock: fakeClock(), concurrency: { chunks: 1 } })
      .upload({ source: memorySource(data, 'a.bin') })
      .catch(() => undefined);
    await fake.abort(1n); // e.g. expired on the canister
    await new Uploader({ actor: fake, journal, chunkSize: CHUNK, clock: fakeClock() }).upload({ source: memorySource(data, 'a.bin') });
    expect(fake.count('begin')).toBe(2);
    expect(fake.putLog.filter((p) => p.uploadId === 2n)).toHaveLength(3);
  });

  it('aborts on the signal: stops sending, calls abort, and reports the upload aborted', async () => {
    const fake = new FakeUploadService();
    const journal = new MemoryJournal();
    const controller = new AbortController();
    const uploader = new Uploader({ actor: fake, journal, chunkSize: CHUNK, clock: fakeClock(), concurrency: { chunks: 1 } });
    const states: string[] = [];
    const outcomes = await uploader.uploadAll([{ source: memorySource(bytes(20 * CHUNK, 8), 'long.bin') }], {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.file.bytesAcknowledged >= 3 * CHUNK) controller.abort(new Error('user cancelled'));
      },
      onState: (_key, state) => states.push(state.kind)
    });
    expect(outcomes[0]!.status).toBe('aborted');
    expect((outcomes[0] as { error: unknown }).error).toBeInstanceOf(UploadAbortedError);
    expect(fake.count('abort')).toBe(1);
    expect(fake.count('put_chunk')).toBeLessThanOrEqual(4);
    expect(fake.count('finish')).toBe(0);
    expect(fake.sessions.get(1n)!.state).toEqual({ Aborted: null });
    expect(states.at(-1)).toBe('aborted');
    expect(await journal.entries()).toEqual([]);
  });

  it('reports progress that never goes back and ends at each file size and the total', async () => {
    const fake = new FakeUploadService();
    const probe = concurrencyProbe(fake); // delays replies, so acks arrive out of order
    const { events, onProgress } = recordProgress();
    const sizes = [7 * CHUNK + 3, 2 * CHUNK, 1, 0];
    const uploader = new Uploader({ actor: probe.actor, chunkSize: CHUNK, clock: fakeClock(), concurrency: { files: 2, chunks: 4 } });
    const outcomes = await uploader.uploadAll(sizes.map((s, i) => item(`p${i}`, s, i + 3)), { onProgress });
    expect(outcomes.every((o) => o.status === 'finished')).toBe(true);
    expect(monotonicViolations(events)).toEqual([]);
    const final = new Map(events.map((e) => [e.file.key, e.file]));
    sizes.forEach((s, i) => {
      const f = final.get(`p${i}#original`)!;
      expect([f.bytesRead, f.bytesAcknowledged, f.bytesHashed, f.state]).toEqual([s, s, s, 'finished']);
    });
    const last = events.at(-1)!.overall;
    const total = sizes.reduce((a, b) => a + b, 0);
    expect([last.size, last.bytesAcknowledged, last.bytesHashed, last.filesDone, last.etaSeconds]).toEqual([total, total, total, 4, 0]);
  });

  it('calls finish again while the canister answers HashPending', async () => {
    const fake = new FakeUploadService({ hashBudgetChunks: 1 });
    // Send in reverse order with one chunk in flight: nothing hashes until chunk 0 arrives last.
    const reversed = new Proxy(fake, {}) as IcUploadService;
    const data = bytes(6 * CHUNK, 11);
    const clock = fakeClock();
    const order = [5, 4, 3, 2, 1, 0];
    const begun = await fake.begin({ asset_id: 'h', variant: 'original', file_name: 'h', content_type: '', size: BigInt(data.length), chunk_size: CHUNK, sha256: [], idempotency_key: [], public: [] });
    if (!('Ok' in begun)) throw new Error('begin failed');
    for (const i of order) await fake.put_chunk({ upload_id: begun.Ok.upload_id, index: i, bytes: data.subarray(i * CHUNK, (i + 1) * CHUNK) });
    expect(fake.sessions.get(1n)!.hashed).toBe(1);
    // Resume through the journal so the Uploader finishes this upload.
    const journal = new MemoryJournal();
    const { fingerprint } = await import('../../../src/client/journal.js');
    const source = memorySource(data, 'h');
    await journal.set(fingerprint(source, 'h', 'original', CHUNK), { uploadId: '1', assetId: 'h', variant: 'original', size: data.length, chunkSize: CHUNK, createdAt: 0 });
    const variants = await new Uploader({ actor: reversed, journal, chunkSize: CHUNK, clock }).upload({ source, assetId: 'h' });
    expect(Uint8Array.from(variants.original!.sha256)).toEqual(sha256(data));
    expect(fake.count('put_chunk')).toBe(6); // nothing resent
    expect(fake.count('finish')).toBe(5); // hashed 1 → 2 → 3 → 4 → 5 (pending) → 6 (done)
    expect(clock.sleeps).toHaveLength(4);
  });

  describe('finish right behind the last chunk', () => {
    type PutArgs = Parameters<IcUploadService['put_chunk']>[0];
    type FinishArgs = Parameters<IcUploadService['finish']>[0];
    /** `fake` with put_chunk and finish wrapped: each wrapper gets the arguments and the fake's own method. */
    function intercepting(
      fake: FakeUploadService,
      wrap: {
        put_chunk: (args: PutArgs, call: (args: PutArgs) => ReturnType<IcUploadService['put_chunk']>) => ReturnType<IcUploadService['put_chunk']>;
        finish: (args: FinishArgs, call: (args: FinishArgs) => ReturnType<IcUploadService['finish']>) => ReturnType<IcUploadService['finish']>;
      }
    ): IcUploadService {
      return new Proxy(fake, {
        get(target, prop, receiver) {
          if (prop === 'put_chunk') return (args: PutArgs) => wrap.put_chunk(args, (a) => target.put_chunk(a));
          if (prop === 'finish') return (args: FinishArgs) => wrap.finish(args, (a) => target.finish(a));
          const value = Reflect.get(target, prop, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        }
      }) as IcUploadService;
    }

    /** Holds put_chunk's answers until `release`; logs when each call is made and answered. */
    function holdingChunks(fake: FakeUploadService, executedAfterFinish?: number) {
      const log: string[] = [];
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let finished!: () => void;
      const finishSent = new Promise<void>((r) => (finished = r));
      const actor = intercepting(fake, {
        put_chunk: async (args, call) => {
          log.push(`put_chunk ${args.index}`);
          // The canister executes the chunk before finish, or (overtaken) after it.
          if (args.index === executedAfterFinish) await finishSent;
          const answer = await call(args);
          await released;
          log.push(`ack ${args.index}`);
          return answer;
        },
        finish: async (args, call) => {
          log.push('finish');
          const answer = await call(args);
          finished();
          log.push('Ok' in answer ? 'finish Ok' : `finish ${Object.keys(answer.Err)[0]}`);
          return answer;
        }
      });
      return { actor, log, release };
    }

    it('goes while the only unacknowledged chunk is in flight, and the file is done with one finish', async () => {
      const fake = new FakeUploadService();
      const { actor, log, release } = holdingChunks(fake);
      const data = bytes(700, 3);
      const done = new Uploader({ actor, chunkSize: CHUNK, clock: fakeClock() }).upload({ source: memorySource(data, 'one.bin'), assetId: 'one' });
      await new Promise((r) => setTimeout(r, 20));
      expect(log).toEqual(['put_chunk 0', 'finish', 'finish Ok']); // before the chunk's answer
      release();
      const variants = await done;
      expect(Uint8Array.from(variants.original!.sha256)).toEqual(sha256(data));
      expect(log).toEqual(['put_chunk 0', 'finish', 'finish Ok', 'ack 0']);
      expect(fake.count('finish')).toBe(1);
    }, 10_000);

    it('goes again once the chunk is acknowledged when it overtook the chunk (Incomplete changes nothing)', async () => {
      const fake = new FakeUploadService();
      const { actor, log, release } = holdingChunks(fake, 2);
      release();
      const data = bytes(2500, 4);
      const variants = await new Uploader({ actor, chunkSize: CHUNK, clock: fakeClock(), concurrency: { chunks: 1 } }).upload({ source: memorySource(data, 'three.bin'), assetId: 'three' });
      expect(Uint8Array.from(variants.original!.sha256)).toEqual(sha256(data));
      expect(log.slice(-6)).toEqual(['put_chunk 2', 'finish', 'finish Incomplete', 'ack 2', 'finish', 'finish Ok']);
      expect(fake.count('finish')).toBe(2);
      expect(fake.count('put_chunk')).toBe(3);
    }, 10_000);

    it('keeps a finished file when the answer to its chunk was lost and the retry is refused', async () => {
      const fake = new FakeUploadService();
      let finishDone!: () => void;
      const finishSent = new Promise<void>((r) => (finishDone = r));
      let lost = false;
      const actor = intercepting(fake, {
        put_chunk: async (args, call) => {
          const answer = await call(args); // stored…
          if (lost) return answer;
          lost = true;
          await finishSent;
          throw transient(); // …but the answer never arrives
        },
        finish: async (args, call) => {
          const answer = await call(args);
          finishDone();
          return answer;
        }
      });
      const data = bytes(600, 6);
      const [outcome] = await new Uploader({ actor, chunkSize: CHUNK, clock: fakeClock() }).uploadAll([{ source: memorySource(data, 'lost.bin'), assetId: 'lost' }]);
      expect(outcome!.status).toBe('finished');
      expect(Uint8Array.from(fake.blobs.get(1n)!.info.sha256)).toEqual(sha256(data));
      expect(fake.count('put_chunk')).toBe(2); // the retry was refused: the upload was finished
      expect(fake.count('finish')).toBe(1);
    }, 10_000);

    it('asks once more when both answers were lost, and keeps the finished file', async () => {
      const fake = new FakeUploadService();
      let finishes = 0;
      let puts = 0;
      const actor = intercepting(fake, {
        put_chunk: async (args, call) => {
          const answer = await call(args);
          if (++puts === 1) throw transient(); // stored, the answer lost
          return answer; // the retry: InvalidState, the upload is finished
        },
        finish: async (args, call) => {
          const answer = await call(args);
          if (++finishes === 1) throw transient(); // finished, the answer lost
          return answer;
        }
      });
      const data = bytes(800, 7);
      const journal = new MemoryJournal();
      const [outcome] = await new Uploader({ actor, journal, chunkSize: CHUNK, clock: fakeClock() }).uploadAll([{ source: memorySource(data, 'both.bin'), assetId: 'both' }]);
      expect(outcome!.status).toBe('finished');
      expect(Uint8Array.from(fake.blobs.get(1n)!.info.sha256)).toEqual(sha256(data));
      expect([puts, finishes, fake.count('abort')]).toEqual([2, 2, 0]);
    }, 10_000);

    it('sends no finish once the upload is aborted, nor after a chunk failed', async () => {
      const aborted = new FakeUploadService();
      const controller = new AbortController();
      const outcomes = await new Uploader({ actor: aborted, chunkSize: CHUNK, clock: fakeClock() }).uploadAll([{ source: memorySource(bytes(500, 8), 'a.bin'), assetId: 'a' }], {
        signal: controller.signal,
        onProgress: (e) => {
          if (e.file.bytesRead >= 500) controller.abort(new Error('user cancelled')); // the chunk is read, then sent
        }
      });
      expect(outcomes[0]!.status).toBe('aborted');
      expect([aborted.count('finish'), aborted.count('abort')]).toEqual([0, 1]);

      const fake = new FakeUploadService();
      const failing = withFaults(fake, (method, n) => (method === 'put_chunk' && n === 1 ? new Error('disk on fire') : undefined));
      const [failed] = await new Uploader({ actor: failing, chunkSize: CHUNK, clock: fakeClock(), concurrency: { chunks: 2 } }).uploadAll([{ source: memorySource(bytes(3000, 9), 'f.bin'), assetId: 'f' }]);
      expect(failed!.status).toBe('failed');
      expect(fake.count('finish')).toBe(0);
    }, 10_000);

    it('waits for every answer while more than one chunk is unacknowledged', async () => {
      const fake = new FakeUploadService();
      const { actor, log, release } = holdingChunks(fake);
      const data = bytes(4000, 5);
      const done = new Uploader({ actor, chunkSize: CHUNK, clock: fakeClock(), concurrency: { chunks: 4 } }).upload({ source: memorySource(data, 'four.bin'), assetId: 'four' });
      await new Promise((r) => setTimeout(r, 20));
      expect(log).toEqual(['put_chunk 0', 'put_chunk 1', 'put_chunk 2', 'put_chunk 3']);
      release();
      await done;
      expect(log.slice(4, 8).sort()).toEqual(['ack 0', 'ack 1', 'ack 2', 'ack 3']);
      expect(log.slice(8)).toEqual(['finish', 'finish Ok']);
    }, 10_000);
  });

  it('rejects a chunk size the canister could never accept', () => {
    expect(() => new Uploader({ actor: new FakeUploadService(), chunkSize: 2_000_001 })).toThrow(RangeError);
  });
});
