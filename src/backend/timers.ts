// Timers that must survive traps: a chain of one-off timers carrying budgeted work on, re-armed
// by the sweep interval when a trap rolled its own re-arming back.
import type { Platform } from './platform.js';

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
