// The replica as the local network drives it, durable without writing its memory on every call:
// every input that can change state goes to the input log (input_log.ts), which is fsync'd
// before a call that depends on it is answered; now and then — when the log has grown, when the
// replica has been idle a while, at shutdown — a checkpoint writes the pages that changed
// (persistence.ts) and starts a new log. Starting loads the last checkpoint and executes its
// log again: the same messages, at the same round times, drawing the same randomness.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { BadIngressError } from './errors.js';
import { InputLog, type InputEntry } from './input_log.js';
import { ReplicaStateDir, StateDirError, type IngressHistory } from './persistence.js';
import type { ReplicaOptions } from './canister.js';
import type { IngressRecord } from './http/state_tree.js';
import { StateMachine } from './state_machine.js';
import type { CallResult, CanisterCall, IngressStatus, PrincipalBytes, ReplicaInstance } from './types.js';

/** A checkpoint is taken once the log holds this much: it bounds the replay at start. */
export const CHECKPOINT_LOG_BYTES = 192 * 1024 * 1024;
/** …or once the replica has had nothing to log for this long. */
const CHECKPOINT_IDLE_MS = 10_000;
const MAX_AWAIT_ROUNDS = 100;
/** Turns of the event loop a group commit waits at most for calls still arriving… */
const GROUP_COMMIT_TURNS = 8;
/**
 * …and milliseconds since its first call. A turn can execute a call (several ms for a small
 * one), so without this bound a batch grows with the calls that keep arriving until all of a
 * client's concurrent calls complete in one wave — and then the replica idles while the client
 * checks that wave's certificate and sends the next one. While a batch waits, the calls in it
 * hold their clients back: a bound of about one small call's execution shares the fsync and
 * the signature among the calls that complete together and delays no answer for long.
 * Alternating 100-file rounds of 10 KB uploads, 8 at a time, on one local network (2-core
 * machine): 4 ms against 12 ms gave 52.2 against 45.5 files/s (medians of 8; 4 ms faster in 9
 * of 10 pairs), and 33.6 against 32.9 with a busy loop on one of the two cores, where committing
 * at the first turn (0 ms) gave 30.6. Against only the turn bound, 12 ms had given 18.4 → 23.1
 * files/s on a slower hour.
 */
const GROUP_COMMIT_MS = 4;

/** Executing the log again did not reproduce what it recorded: the replica is not deterministic. */
export class ReplayDivergedError extends StateDirError {
  constructor(
    readonly file: string,
    readonly entry: number,
    detail: string
  ) {
    super(`replaying the input log ${file} diverged at entry ${entry} (${detail}); the checkpoint before it is intact, move the log away to start from it`);
  }
}

/** raw_rand's bytes: drawn from the OS and recorded while live, handed back while replaying. */
class RandomSource {
  drawn: Uint8Array[] = [];
  replaying: Uint8Array[] | undefined;
  take(n: number): Uint8Array {
    if (this.replaying) {
      const next = this.replaying.shift();
      if (!next || next.length !== n) throw new RandomnessExhausted();
      return next;
    }
    const bytes = new Uint8Array(n);
    crypto.getRandomValues(bytes);
    this.drawn.push(bytes);
    return bytes;
  }
}

class RandomnessExhausted extends Error {}

/** The HTTP interface's accepted requests; each new one is also an entry of the input log. */
class LoggedIngressHistory extends Map<string, IngressRecord> {
  onAccept: ((id: string, r: IngressRecord) => void) | undefined;
  override set(id: string, r: IngressRecord): this {
    if (!this.has(id)) this.onAccept?.(id, r);
    return super.set(id, r);
  }
}

export class DurableReplica implements ReplicaInstance {
  readonly ingress: LoggedIngressHistory;
  private log: InputLog;
  private lastAppend = Date.now();
  private commit: Promise<void> | undefined;
  /** Log size that triggers a checkpoint. */
  checkpointLogBytes = CHECKPOINT_LOG_BYTES;

  /** The log always is the one the folder's manifest names, so whatever it holds is replayed at start. */
  private constructor(
    readonly machine: StateMachine,
    private readonly store: ReplicaStateDir,
    ingress: IngressHistory,
    private readonly random: RandomSource,
    log: InputLog
  ) {
    this.ingress = new LoggedIngressHistory(ingress);
    this.ingress.onAccept = (id, r) => this.record({ k: 'accepted', id, sender: r.sender, receiver: r.receiver, expiry: r.ingressExpiry });
    this.log = log;
  }

  /** Loads the folder's checkpoint and replays its input log, or starts an empty state. */
  static open(store: ReplicaStateDir, options: ReplicaOptions): DurableReplica {
    const random = new RandomSource();
    const machineOptions = { ...options, random: (n: number) => random.take(n) };
    if (!store.exists) {
      const machine = new StateMachine(machineOptions);
      const log = InputLog.create(store.dir, `input-${randomUUID()}.log`, store.written);
      store.save(machine, new Map(), log.file);
      return new DurableReplica(machine, store, new Map(), random, log);
    }
    const loaded = store.load(machineOptions);
    if (!loaded.inputLog) {
      // Written before the input log existed, when every change was saved at once: the
      // checkpoint is the whole state. Checkpointed again with a log, it is a folder of today's.
      const log = InputLog.create(store.dir, `input-${randomUUID()}.log`, store.written);
      store.save(loaded.machine, loaded.ingress, log.file);
      return new DurableReplica(loaded.machine, store, loaded.ingress, random, log);
    }
    const { entries, validBytes } = InputLog.read(store.dir, loaded.inputLog);
    const log = InputLog.resume(store.dir, loaded.inputLog, store.written, validBytes);
    const replica = new DurableReplica(loaded.machine, store, loaded.ingress, random, log);
    replica.replay(join(store.dir, loaded.inputLog), entries);
    return replica;
  }

  private replay(path: string, entries: InputEntry[]): void {
    const onAccept = this.ingress.onAccept;
    this.ingress.onAccept = undefined;
    try {
      entries.forEach((entry, i) => {
        try {
          this.apply(entry);
        } catch (e) {
          if (e instanceof RandomnessExhausted) throw new ReplayDivergedError(path, i, 'a round drew randomness the log does not hold');
          if (e instanceof DivergedRound) throw new ReplayDivergedError(path, i, e.message);
          throw e;
        }
      });
    } finally {
      this.ingress.onAccept = onAccept;
      this.random.replaying = undefined;
    }
    this.replayed = entries.length;
  }

  /** How many entries the last start replayed. */
  replayed = 0;

  private apply(entry: InputEntry): void {
    const m = this.machine;
    switch (entry.k) {
      case 'submit':
        try {
          m.submitIngress(entry.call, entry.id);
        } catch {
          // Refused at submission live too (the log holds only accepted messages): nothing to redo.
        }
        return;
      case 'accepted':
        this.ingress.set(entry.id, { sender: entry.sender, receiver: entry.receiver, ingressExpiry: BigInt(entry.expiry) });
        return;
      case 'round': {
        const time = BigInt(entry.time);
        if (time > m.time()) m.setTime(time);
        this.random.replaying = [...entry.random];
        const before = m.changeCount();
        m.tick();
        if (m.time() !== time) throw new DivergedRound(`the round ran at ${m.time()} instead of ${time}`);
        if (m.changeCount() - before !== entry.changes) throw new DivergedRound(`the round made ${m.changeCount() - before} changes instead of ${entry.changes}`);
        if (this.random.replaying.length > 0) throw new DivergedRound('the round drew less randomness than recorded');
        this.random.replaying = undefined;
        return;
      }
      case 'cycles':
        m.addCycles(entry.canister, BigInt(entry.amount));
        return;
      case 'stable':
        m.setStableMemory(entry.canister, entry.bytes);
        return;
    }
  }

  private record(entry: InputEntry): void {
    this.log.append(entry);
    this.lastAppend = Date.now();
  }

  /** One round, logged when it changed anything or had work to do (idle rounds need no replay). */
  private round(): void {
    const m = this.machine;
    const busy = !m.isQuiescent();
    const before = m.changeCount();
    this.random.drawn = [];
    m.tick();
    const changes = m.changeCount() - before;
    if (busy || changes > 0 || this.random.drawn.length > 0) this.record({ k: 'round', time: m.time(), random: this.random.drawn, changes });
    this.random.drawn = [];
  }

  /**
   * Group commit: calls that complete in the same turn of the event loop (the HTTP requests
   * already waiting are handled before `setImmediate` callbacks run) share one fsync — and the
   * HTTP interface answers them with one signature. While a turn brought more input (requests
   * that arrived while the last ones executed), the commit waits one more turn, which polls
   * without blocking, at most `GROUP_COMMIT_TURNS` times and `GROUP_COMMIT_MS` after it opened:
   * nothing is delayed by a timer.
   */
  durable(): Promise<void> {
    this.commit ??= new Promise<void>((resolve, reject) => {
      let seen = this.log.size;
      let turns = 0;
      const opened = performance.now();
      const commit = () => {
        if (this.log.size !== seen && ++turns < GROUP_COMMIT_TURNS && performance.now() - opened < GROUP_COMMIT_MS) {
          seen = this.log.size;
          return void setImmediate(commit);
        }
        this.commit = undefined;
        try {
          this.log.flush();
          if (this.log.size > this.checkpointLogBytes) this.checkpoint();
          resolve();
        } catch (e) {
          reject(e);
        }
      };
      setImmediate(commit);
    });
    return this.commit;
  }

  /**
   * Writes the changed pages and starts a new, empty log. Only a state with nothing in flight
   * is checkpointed (call contexts are not persisted): the log covers the rest until then.
   */
  checkpoint(): boolean {
    if (!this.machine.isQuiescent()) return false;
    this.log.flush();
    const next = InputLog.create(this.store.dir, `input-${randomUUID()}.log`, this.store.written);
    this.store.save(this.machine, this.ingress, next.file);
    this.log.close();
    this.log = next;
    return true;
  }

  /** Bytes of input logged since the last checkpoint. */
  get logBytes(): number {
    return this.log.size;
  }

  /** Runs rounds until nothing is in flight (at most a few), as before a checkpoint. */
  settle(): void {
    for (let i = 0; i < 10 && !this.machine.isQuiescent(); i++) this.round();
  }

  /** Follows the wall clock and runs a round: timers and asynchronously submitted calls. */
  advance(): void {
    const wall = BigInt(Date.now()) * 1_000_000n;
    if (wall > this.machine.time()) this.machine.setTime(wall);
    this.round();
    this.log.flush();
    if (!this.log.empty && Date.now() - this.lastAppend > CHECKPOINT_IDLE_MS) this.checkpoint();
  }

  close(): void {
    this.settle();
    this.log.flush();
    if (!this.log.empty) this.checkpoint();
    this.log.close();
  }

  time = () => this.machine.time();
  setTime = (n: bigint) => this.machine.setTime(n);
  submitIngress = (call: CanisterCall, id?: Uint8Array): Uint8Array => {
    const known = id !== undefined && this.machine.ingressStatus(id) !== undefined;
    const accepted = this.machine.submitIngress(call, id);
    if (!known) this.record({ k: 'submit', id: accepted, call: { ...call } });
    return accepted;
  };
  awaitIngress = (id: Uint8Array): CallResult => {
    for (let round = 0; this.machine.ingressStatus(id)?.kind === 'processing'; round++) {
      if (round >= MAX_AWAIT_ROUNDS) throw new BadIngressError(`Failed to answer to ingress ${Buffer.from(id).toString('hex')} after ${MAX_AWAIT_ROUNDS} rounds.`);
      this.round();
    }
    return this.machine.awaitIngress(id);
  };
  ingressStatus = (id: Uint8Array): IngressStatus | undefined => this.machine.ingressStatus(id);
  query = (call: CanisterCall) => this.machine.query(call);
  tick = () => this.round();
  canisterExists = (id: PrincipalBytes) => this.machine.canisterExists(id);
  controllers = (id: PrincipalBytes) => this.machine.controllers(id);
  moduleHash = (id: PrincipalBytes) => this.machine.moduleHash(id);
  canisterMetadata = (id: PrincipalBytes, name: string) => this.machine.canisterMetadata(id, name);
  certifiedData = (id: PrincipalBytes) => this.machine.certifiedData(id);
  cycles = (id: PrincipalBytes) => this.machine.cycles(id);
  addCycles = (id: PrincipalBytes, n: bigint) => {
    this.record({ k: 'cycles', canister: id, amount: n });
    return this.machine.addCycles(id, n);
  };
  stableMemory = (id: PrincipalBytes) => this.machine.stableMemory(id);
  setStableMemory = (id: PrincipalBytes, b: Uint8Array) => {
    this.record({ k: 'stable', canister: id, bytes: b });
    this.machine.setStableMemory(id, b);
  };
  subnetId = () => this.machine.subnetId();
  canisterRange = () => this.machine.canisterRange();
}

class DivergedRound extends Error {}
