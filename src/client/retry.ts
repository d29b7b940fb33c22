// Retry policy as data plus a predicate, with an injectable clock (STYLE.md 7, after tus's
// `retryDelays` / `onShouldRetry` and agent-js's `polling/backoff.ts`).
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

const TRANSIENT_NODE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT'
]);

interface AgentErrorShape {
  kind?: unknown;
  code?: { name?: unknown; rejectCode?: unknown; rejectErrorCode?: unknown; status?: unknown; error?: unknown };
}

/**
 * Whether a thrown error is a transient failure worth retrying: network errors and timeouts,
 * reject code 2 (SYS_TRANSIENT), IC error codes IC02xx (the IC's transient class: queue full,
 * ingress timeout, rate limits, …), HTTP 408/429/5xx. The IC error code's first digit is its reject
 * code, so IC01xx (fatal), IC03xx (destination invalid) and IC05xx (canister error, e.g. a trap)
 * are not retried: a trap repeats.
 */
export function isTransient(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  if ((error as { transient?: unknown }).transient === true) return true;
  const agent = error as AgentErrorShape;
  const code = agent.code;
  if (code && typeof code === 'object') {
    if (code.rejectCode === 2) return true;
    if (typeof code.rejectErrorCode === 'string' && /^IC02\d\d$/.test(code.rejectErrorCode)) return true;
    if (code.name === 'TimeoutWaitingForResponseErrorCode' || code.name === 'HttpFetchErrorCode') return true;
    if (typeof code.status === 'number') return code.status === 408 || code.status === 429 || code.status >= 500;
    if (code.rejectCode !== undefined) return false;
  }
  if (agent.kind === 'Transport') return true;
  const nodeCode = (error as { code?: unknown }).code;
  if (typeof nodeCode === 'string' && TRANSIENT_NODE_CODES.has(nodeCode)) return true;
  const message = error instanceof Error ? error.message : '';
  if (/\bIC02\d\d\b/.test(message) || /reject code:? 2\b/i.test(message) || /SysTransient|SYS_TRANSIENT/.test(message)) return true;
  if (error instanceof TypeError && /fetch failed|network/i.test(message)) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && !(cause && typeof cause === 'object' && 'kind' in cause) && isTransient(cause);
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
