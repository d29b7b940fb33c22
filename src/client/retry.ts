// Retry policy as data plus a predicate, with an injectable clock (STYLE.md 7, after tus's
// `retryDelays` / `onShouldRetry` and agent-js's `polling/backoff.ts`).
import { classify } from './agent_errors.js';
import type { Clock } from './types.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Delay before the first retry; each further retry multiplies it by `multiplier`. */
  initialDelayMs: number;
  multiplier: number;
  maxDelayMs: number;
  /** Fraction of each delay that is randomised: 0 = none, 1 = "full jitter". */
  jitter: number;
  /** Decides whether an error is worth retrying; defaults to {@link isTransient}. */
  shouldRetry?: (error: unknown, attempt: number) => boolean;
  /** Random source in [0, 1) for jitter; tests pin it. */
  random?: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  initialDelayMs: 250,
  multiplier: 2,
  maxDelayMs: 15_000,
  jitter: 0.5
};

/** The delay before retry number `retry` (1 = first retry). */
export function backoffDelay(policy: RetryPolicy, retry: number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (retry - 1));
  const random = policy.random ?? Math.random;
  return Math.round(base * (1 - policy.jitter) + base * policy.jitter * random());
}

/** Whether a thrown error is a transient failure worth retrying: see {@link classify}. */
export function isTransient(error: unknown): boolean {
  return classify(error).transient;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    })
};

export class RetryFailure extends Error {
  constructor(
    readonly attempts: number,
    readonly lastError: unknown
  ) {
    super('retries exhausted', { cause: lastError });
  }
}

/**
 * Runs `attempt` until it resolves, retrying while the policy allows. Throws the error itself when
 * it is not retryable, or a {@link RetryFailure} when attempts run out.
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  clock: Clock,
  signal?: AbortSignal
): Promise<T> {
  const shouldRetry = policy.shouldRetry ?? isTransient;
  for (let n = 1; ; n++) {
    signal?.throwIfAborted();
    try {
      return await attempt(n);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!shouldRetry(error, n)) throw error;
      if (n >= policy.maxAttempts) throw new RetryFailure(n, error);
      await clock.sleep(backoffDelay(policy, n), signal);
    }
  }
}
