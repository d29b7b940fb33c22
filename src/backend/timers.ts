// The canister's background work, and timers that must survive traps: a chain of one-off timers
// carrying budgeted work on, re-armed by the sweep interval when a trap rolled its own re-arming
// back.
import type { Platform } from './platform.js';
import type { BlobStore } from './assets/blob_store.js';
import type { AssetServer } from './http/asset_server.js';
import type { Migration } from './migration.js';
import { CLOSED_SESSION_RETENTION_NS, type Limits } from './model/limits.js';
import type { UploadMeta } from './model/session_record.js';
import type { SessionService } from './session/service.js';
import type { UploadSessions } from './uploads/service.js';

/**
 * A one-off timer armed this long ago whose run has not cleared its mark is presumed lost: its
 * run trapped, and the trap rolled back the clearing (and any timer the run set). Re-arming a
 * timer that was merely late only costs one message with nothing to do.
 */
const TIMER_PRESUMED_LOST_NS = 30n * 1_000_000_000n;

/**
 * A chain of one-off timers that carries some work on in budgeted slices: each run does a slice
 * and re-arms the chain while work remains. A trap in one run rolls back that run's re-arming and
 * leaves the chain marked armed; the mark expires after TIMER_PRESUMED_LOST_NS, so the next
 * arm() — from a message, or from the sweep interval, which traps cannot stop — starts it again.
 */
export class TimerChain {
  private armedAtNs: bigint | undefined;

  constructor(
    private readonly platform: Platform,
    private readonly run: () => void | Promise<void>
  ) {}

  arm(): void {
    const now = this.platform.time();
    if (this.armedAtNs !== undefined && now - this.armedAtNs < TIMER_PRESUMED_LOST_NS) return;
    this.armedAtNs = now;
    this.platform.setTimer(0, () => {
      this.armedAtNs = undefined;
      return this.run();
    });
  }
}

/** Freeing chunks stops this far below the 40 billion limit (each removal copies one chunk). */
const FREE_INSTRUCTION_LIMIT = 34_000_000_000n;
/** The expiry sweep runs this often at most (and at least every quarter of the idle timeout). */
const MAX_SWEEP_PERIOD_S = 60;
/**
 * One sweep message handles at most this many session records (expiring or pruning) and stops
 * once it has used this many instructions (of 40 billion); a timer carries on with the rest.
 */
const SWEEP_MAX_RECORDS = 1_000;
const SWEEP_INSTRUCTION_LIMIT = 20_000_000_000n;
/** One migration slice enters at most this many records (sessions or blobs). */
const MIGRATION_MAX_RECORDS = 20_000;

/** What the background work drives; the composition root (backend.ts) wires it. */
export interface BackgroundDeps {
  platform: Platform;
  counters: { flush(): void };
  uploads: UploadSessions;
  sessions: SessionService<UploadMeta>;
  blobStore: BlobStore;
  server: AssetServer;
  migration: Migration;
  limits: () => Limits;
}

/**
 * The canister's timers: hashing carried on after put_chunk, chunk freeing in budgeted slices,
 * the periodic sweep (expiry, pruning, restarting lost chains), HTTP serving's digests and
 * backfill, and the migration's slices. Each run is a message of its own and ends by writing the
 * counters.
 */
export class BackgroundWork {
  private readonly hashTimer: TimerChain;
  private readonly garbageTimer: TimerChain;
  /** Continues a sweep that stopped at its budget, without waiting for the next interval. */
  private readonly sweepTimer: TimerChain;
  private readonly migrationTimer: TimerChain;
  private readonly httpTimer: TimerChain;

  constructor(private readonly d: BackgroundDeps) {
    this.hashTimer = new TimerChain(d.platform, () => this.onHashTimer());
    this.garbageTimer = new TimerChain(d.platform, () => this.onGarbageTimer());
    this.sweepTimer = new TimerChain(d.platform, () => this.onSweepTimer());
    this.migrationTimer = new TimerChain(d.platform, () => this.onMigrationTimer());
    this.httpTimer = new TimerChain(d.platform, () => this.onHttpTimer());
  }

  /** Whether freeing may go on in this message; when not, the freeing chain carries on. */
  freeBudget(): boolean {
    const allowed = this.d.platform.instructionCounter() < FREE_INSTRUCTION_LIMIT;
    if (!allowed) this.scheduleGarbage();
    return allowed;
  }

  scheduleHashing(): void {
    this.hashTimer.arm();
  }

  scheduleHttp(): void {
    this.httpTimer.arm();
  }

  /** After install or upgrade: the sweep interval, and freeing left over from before. */
  start(): void {
    this.d.platform.setTimerInterval(this.sweepPeriodS(), () => this.onSweepTimer());
    if (this.d.blobStore.hasGarbage()) this.scheduleGarbage();
  }

  /**
   * A timer message: carries each session's frontier over its stored chunks (one native call in
   * flight per session, the sessions in parallel). A failed call re-arms the timer.
   */
  private async onHashTimer(): Promise<void> {
    await Promise.all(this.d.uploads.hashBacklog().map((uploadId) => this.d.uploads.hashFrontier(uploadId)));
    this.d.counters.flush();
  }

  private scheduleGarbage(): void {
    this.garbageTimer.arm();
  }

  private onGarbageTimer(): void {
    if (!this.d.blobStore.collect(() => this.freeBudget())) this.scheduleGarbage();
    this.d.counters.flush();
  }

  /** An interval, not a self-re-arming one-off timer: a sweep that traps cannot stop the next. */
  private sweepPeriodS(): number {
    const quarter = Number(this.d.limits().uploadIdleTimeoutS / 4n);
    return Math.max(1, Math.min(MAX_SWEEP_PERIOD_S, quarter));
  }

  /** Expires idle uploads, prunes old closed session records, continues freeing. */
  private onSweepTimer(): void {
    const { platform, uploads, blobStore } = this.d;
    // Restarts the hashing and freeing chains if a trap left them lost (see TimerChain).
    if (uploads.hashWorkPending()) this.scheduleHashing();
    if (blobStore.hasGarbage()) this.scheduleGarbage();
    const now = platform.time();
    let records = 0;
    const more = () => records++ < SWEEP_MAX_RECORDS && platform.instructionCounter() < SWEEP_INSTRUCTION_LIMIT;
    let done = uploads.expire(now, more);
    if (done && now > CLOSED_SESSION_RETENTION_NS) {
      done = this.d.sessions.pruneClosed(now - CLOSED_SESSION_RETENTION_NS, more, (session) => uploads.pruned(session));
    }
    if (this.d.migration.pending()) this.migrationTimer.arm();
    if (this.d.server.workPending()) this.httpTimer.arm();
    if (!done) this.sweepTimer.arm();
    if (blobStore.hasGarbage()) blobStore.collect(() => this.freeBudget());
    this.d.counters.flush();
  }

  /** A slice of HTTP serving's background work: per-chunk digests, the backfill scan. */
  private async onHttpTimer(): Promise<void> {
    if (!(await this.d.server.work())) this.httpTimer.arm();
    this.d.counters.flush();
  }

  /** A migration slice: a timer message (and the first slice in post_upgrade). */
  onMigrationTimer(): void {
    let records = 0;
    const more = () => records++ < MIGRATION_MAX_RECORDS && this.d.platform.instructionCounter() < SWEEP_INSTRUCTION_LIMIT;
    if (!this.d.migration.step(more)) this.migrationTimer.arm();
    this.d.counters.flush();
  }
}
