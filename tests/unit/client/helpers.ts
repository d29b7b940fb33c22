// Shared bits for client unit tests: deterministic bytes, a fake clock, a progress recorder.
import type { Clock, ProgressEvent } from '../../../src/client/index.js';

export { pseudoRandomBytes as bytes } from '../../support/bytes.js';

/** A clock whose sleeps return at once and are recorded. */
export function fakeClock(): Clock & { sleeps: number[] } {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      t += ms;
    }
  };
}

export function recordProgress() {
  const events: ProgressEvent[] = [];
  return { events, onProgress: (e: ProgressEvent) => events.push(e) };
}

/** Asserts every counter of every file and of the total never decreases. Returns the failures. */
export function monotonicViolations(events: ProgressEvent[]): string[] {
  const last = new Map<string, [number, number, number]>();
  const problems: string[] = [];
  let overall: [number, number, number] = [0, 0, 0];
  for (const e of events) {
    const now: [number, number, number] = [e.file.bytesRead, e.file.bytesAcknowledged, e.file.bytesHashed];
    const before = last.get(e.file.key) ?? [0, 0, 0];
    now.forEach((v, i) => v < before[i]! && problems.push(`${e.file.key} counter ${i}: ${before[i]} → ${v}`));
    last.set(e.file.key, now);
    const o: [number, number, number] = [e.overall.bytesRead, e.overall.bytesAcknowledged, e.overall.bytesHashed];
    o.forEach((v, i) => v < overall[i]! && problems.push(`overall counter ${i}: ${overall[i]} → ${v}`));
    overall = o;
  }
  return problems;
}
