import {
  CertifiedRejectErrorCode,
  HttpErrorCode,
  HttpFetchErrorCode,
  ProtocolError,
  RejectError,
  TimeoutWaitingForResponseErrorCode,
  TransportError,
  UnknownError
} from '@icp-sdk/core/agent';
import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY_POLICY, isTransient, RetryFailure, withRetry } from '../../../src/client/retry.js';
import { fakeClock } from './helpers.js';

const reject = (code: number, icCode: string) =>
  RejectError.fromCode(new CertifiedRejectErrorCode(new Uint8Array(32) as never, code as never, 'rejected', icCode));

describe('retry policy', () => {
  it('classifies agent-js and network errors', () => {
    expect(isTransient(TransportError.fromCode(new HttpFetchErrorCode(new TypeError('fetch failed'))))).toBe(true);
    expect(isTransient(TransportError.fromCode(new HttpErrorCode(503, 'Service Unavailable', [])))).toBe(true);
    expect(isTransient(TransportError.fromCode(new HttpErrorCode(429, 'Too Many Requests', [])))).toBe(true);
    expect(isTransient(TransportError.fromCode(new HttpErrorCode(400, 'Bad Request', [])))).toBe(false);
    expect(isTransient(ProtocolError.fromCode(new TimeoutWaitingForResponseErrorCode('timed out')))).toBe(true);
    expect(isTransient(UnknownError.fromCode(new TimeoutWaitingForResponseErrorCode('backoff exhausted')))).toBe(true);
    expect(isTransient(reject(2, 'IC0201'))).toBe(true); // SYS_TRANSIENT: canister queue full
    expect(isTransient(reject(5, 'IC0503'))).toBe(false); // canister trapped: retrying repeats it
    expect(isTransient(reject(3, 'IC0301'))).toBe(false);
    expect(isTransient(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient(new Error('Canister rejected the message, error code IC0207'))).toBe(true); // pic-js text
    expect(isTransient(new Error('Canister trapped explicitly, error code IC0503'))).toBe(false);
    expect(isTransient(new TypeError('fetch failed'))).toBe(true);
    expect(isTransient(new Error('anything else'))).toBe(false);
  });

  it('grows delays exponentially up to the cap, with bounded jitter', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, jitter: 0 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(policy, n))).toEqual([250, 500, 1000, 2000]);
    expect(backoffDelay(policy, 20)).toBe(DEFAULT_RETRY_POLICY.maxDelayMs);
    expect(backoffDelay({ ...DEFAULT_RETRY_POLICY, random: () => 0 }, 2)).toBe(250);
    expect(backoffDelay({ ...DEFAULT_RETRY_POLICY, random: () => 0.999999 }, 2)).toBe(500);
  });

  it('retries only what the predicate allows and reports the attempts', async () => {
    const clock = fakeClock();
    let calls = 0;
    const flaky = () => (++calls < 3 ? Promise.reject(Object.assign(new Error('x'), { transient: true })) : Promise.resolve('ok'));
    expect(await withRetry(flaky, { ...DEFAULT_RETRY_POLICY, jitter: 0 }, clock)).toBe('ok');
    expect(clock.sleeps).toEqual([250, 500]);
    const always = () => Promise.reject(Object.assign(new Error('down'), { transient: true }));
    const failure = await withRetry(always, { ...DEFAULT_RETRY_POLICY, maxAttempts: 4 }, clock).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RetryFailure);
    expect((failure as RetryFailure).attempts).toBe(4);
    let permanentCalls = 0;
    const permanent = () => (permanentCalls++, Promise.reject(new Error('no')));
    await expect(withRetry(permanent, DEFAULT_RETRY_POLICY, clock)).rejects.toThrow('no');
    expect(permanentCalls).toBe(1);
    const custom = { ...DEFAULT_RETRY_POLICY, shouldRetry: (_e: unknown, attempt: number) => attempt < 2 };
    let customCalls = 0;
    await expect(withRetry(() => (customCalls++, Promise.reject(new Error('x'))), custom, clock)).rejects.toThrow('x');
    expect(customCalls).toBe(2);
  });
});
