// What the services need from the IC, behind an interface: the canister fills it
// with Azle's System API (index.ts), unit tests with a fake clock, counter and timer queue.

export interface Platform {
  /** IC time in nanoseconds. */
  time(): bigint;
  /** performanceCounter(0): instructions used so far by the current message. */
  instructionCounter(): bigint;
  isController(principal: Uint8Array): boolean;
  /**
   * Runs `callback` in a later message (a canister timer). If that message traps, everything it
   * did is rolled back — including timers it set and heap flags it cleared.
   */
  setTimer(delaySeconds: number, callback: () => void | Promise<void>): void;
  /**
   * Runs `callback` every `periodSeconds`, each run its own message. ic-cdk-timers reschedules an
   * interval outside the run's message, so a run that traps does not stop the later ones.
   */
  setTimerInterval(periodSeconds: number, callback: () => void): void;
}

export function principalKey(principal: Uint8Array): string {
  let out = '';
  for (let i = 0; i < principal.length; i++) out += principal[i].toString(16).padStart(2, '0');
  return out;
}

export function isAnonymous(principal: Uint8Array): boolean {
  return principal.length === 1 && principal[0] === 0x04;
}
