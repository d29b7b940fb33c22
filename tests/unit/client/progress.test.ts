// Progress as a person reads it: rate and ETA from this run's sends only; files counted as files.
import { describe, expect, it } from 'vitest';
import { MemoryJournal, memorySource, ProgressTracker, Uploader, type Clock, type ImageDeriver } from '../../../src/client/index.js';
import { FakeUploadService, withFaults } from '../../support/fake_upload_service.js';
import { bytes, fakeClock, recordProgress } from './helpers.js';

const CHUNK = 1000;

/** A clock that moves only when the test says. */
function manualClock(): Clock & { advance(ms: number): void } {
  let t = 0;
  return { now: () => t, sleep: async () => undefined, advance: (ms) => void (t += ms) };
}

describe('ProgressTracker', () => {
  it('measures the rate on bytes sent in this run, not on what a resume found stored', () => {
    const clock = manualClock();
    const tracker = new ProgressTracker(clock);
    const file = tracker.add('a#original', 'a', 'original', 'a', 20_000_000);
    clock.advance(100);
    tracker.alreadyStored(file, 11_000_000, 11_000_000); // what the interrupted run had stored
    expect(tracker.overall()).toMatchObject({ bytesAcknowledged: 11_000_000, bytesSent: 0, rate: 0, etaSeconds: undefined });
    clock.advance(1000);
    tracker.acknowledged(file, 1_000_000);
    clock.advance(1000);
    tracker.acknowledged(file, 1_000_000);
    const o = tracker.overall();
    expect(o.bytesSent).toBe(2_000_000);
    expect(o.bytesAcknowledged).toBe(13_000_000);
    // 2 MB over the 2.1 s since the tracker started, never 13 MB: ≈ 1 MB/s, not 6+.
    expect(o.rate).toBeGreaterThan(900_000);
    expect(o.rate).toBeLessThan(1_100_000);
    expect(o.etaSeconds).toBeCloseTo(7_000_000 / o.rate, 6);
  });

  it('counts a file finished by an earlier run as carried, not sent', () => {
    const clock = manualClock();
    const tracker = new ProgressTracker(clock);
    const file = tracker.add('a#original', 'a', 'original', 'a', 5_000);
    clock.advance(10);
    tracker.state(file, 'finished');
    expect(tracker.overall()).toMatchObject({ bytesAcknowledged: 5_000, bytesSent: 0, rate: 0, etaSeconds: 0 });
  });
});

describe('Uploader progress', () => {
  it('rate after a resume reflects only the chunks this run sends', async () => {
    const fake = new FakeUploadService();
    const journal = new MemoryJournal();
    const data = bytes(10 * CHUNK, 3);
    const source = () => memorySource(data, 'r.bin', 'application/octet-stream', 5);
    const crashing = withFaults(fake, (m, n) => (m === 'put_chunk' && n === 9 ? new Error('killed') : undefined));
    await new Uploader({ actor: crashing, journal, chunkSize: CHUNK, clock: fakeClock(), concurrency: { chunks: 1 } }).upload({ source: source() }).catch(() => undefined);
    const { events, onProgress } = recordProgress();
    const [outcome] = await new Uploader({ actor: fake, journal, chunkSize: CHUNK, clock: fakeClock() }).uploadAll([{ source: source() }], { onProgress });
    expect(outcome).toMatchObject({ status: 'finished', resumed: true, bytesSent: 2 * CHUNK });
    expect(events[0]!.overall).toMatchObject({ bytesAcknowledged: 8 * CHUNK, bytesSent: 0 });
    expect(events.at(-1)!.overall).toMatchObject({ bytesAcknowledged: 10 * CHUNK, bytesSent: 2 * CHUNK });
  });

  it('counts files, not variant uploads: an image and its derivatives are one file', async () => {
    const fake = new FakeUploadService();
    const deriver: ImageDeriver = {
      canDerive: (s) => s.name.endsWith('.png'),
      derive: async (_s, specs) => specs.map((spec, i) => ({ variant: spec.variant, bytes: bytes(100 + i, i), contentType: 'image/webp', width: 1, height: 1 }))
    };
    const { events, onProgress } = recordProgress();
    const uploader = new Uploader({ actor: fake, deriver, chunkSize: CHUNK, clock: fakeClock() });
    const outcomes = await uploader.uploadAll(
      [{ source: memorySource(bytes(2 * CHUNK, 1), 'a.png', 'image/png') }, { source: memorySource(bytes(CHUNK, 2), 'b.bin') }],
      { onProgress }
    );
    expect(outcomes.map((o) => Object.keys(o.variants).sort())).toEqual([['display', 'original', 'placeholder', 'thumb'], ['original']]);
    const last = events.at(-1)!.overall;
    expect([last.files, last.filesDone, last.uploads, last.uploadsDone]).toEqual([2, 2, 5, 5]);
    expect(events.every((e) => e.overall.files === 2 && e.overall.filesDone <= 2)).toBe(true);
    // filesDone never goes back, even while derivatives register after their original finished.
    const done = events.map((e) => e.overall.filesDone);
    expect(done.every((d, i) => i === 0 || d >= done[i - 1]!)).toBe(true);
  });
});
