// Group commit (DurableReplica.durable): input that keeps arriving turn after turn joins the
// open batch, up to a number of turns and an age. Each accepted request id is an input-log
// entry (the ingress history is logged), so the entries on disk when a commit resolves count
// what joined it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DurableReplica } from '../../../src/replica/durable_replica.js';
import { InputLog } from '../../../src/replica/input_log.js';
import { ReplicaStateDir } from '../../../src/replica/persistence.js';

const options = { metering: false, log: () => {} };

function logFile(replica: DurableReplica): string {
  return (replica as unknown as { log: InputLog }).log.file;
}

/** Accepts one new request id per event-loop turn, each turn busy for `busyMs`, until stopped. */
function producer(replica: DurableReplica, busyMs: number) {
  let n = 0;
  let stopped = false;
  const turn = () => {
    if (stopped) return;
    const until = performance.now() + busyMs;
    while (performance.now() < until);
    replica.ingress.set(n.toString(16).padStart(64, '0'), { sender: Uint8Array.of(1), receiver: Uint8Array.of(2), ingressExpiry: BigInt(n) });
    n++;
    setImmediate(turn);
  };
  return { start: () => turn(), stop: () => (stopped = true) };
}

async function entriesAtCommit(busyMs: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
  const replica = DurableReplica.open(new ReplicaStateDir(dir), options);
  const input = producer(replica, busyMs);
  input.start(); // the first entry, then one per turn
  await replica.durable();
  input.stop();
  const { entries } = InputLog.read(dir, logFile(replica));
  replica.close();
  return entries.filter((e) => e.k === 'accepted').length;
}

describe('group commit', () => {
  it('takes in input that arrives in the next turns, so calls completing together share one fsync', async () => {
    expect(await entriesAtCommit(0)).toBeGreaterThan(2);
  });

  it('commits once the batch is ~4 ms old even while input keeps arriving', async () => {
    // Turns of 2 ms each: the turn bound alone (8) would take in 8 entries or more; 4 ms cuts
    // the batch after the second or third turn (later on a loaded machine: turns only grow).
    const joined = await entriesAtCommit(2);
    expect(joined).toBeGreaterThanOrEqual(1);
    expect(joined).toBeLessThanOrEqual(4);
  });
});
