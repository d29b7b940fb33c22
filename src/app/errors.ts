// Every error the canister or the network can answer, as something a person can act on.
import { RetriesExhaustedError, ServiceError, summarizeError, UploadAbortedError, IntegrityError } from '../client/index.js';
import type { AppError } from './protocol.js';

/** Sorts an error into the kinds the page explains; keeps the canister's own text as detail. */
export function toAppError(error: unknown): AppError {
  if (error instanceof ServiceError) {
    switch (error.code) {
      case 'LimitExceeded':
        return { kind: 'quota', message: error.message };
      case 'Forbidden':
        return { kind: 'forbidden', message: error.message };
      case 'NotFound':
        return { kind: 'not-found', message: error.message };
      default:
        return { kind: 'invalid', message: error.message };
    }
  }
  if (error instanceof UploadAbortedError) return { kind: 'aborted', message: error.message };
  if (error instanceof IntegrityError) return { kind: 'integrity', message: error.message };
  if (error instanceof RetriesExhaustedError || isNetworkFailure(error)) return { kind: 'network', message: summarizeError(error).message };
  return { kind: 'other', message: summarizeError(error).message };
}

function isNetworkFailure(error: unknown): boolean {
  // fetch rejects with a TypeError when the network or the server is unreachable.
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof TypeError) return true;
    if (e.name === 'TransportError' || e.name === 'HttpFetchError') return true;
  }
  return false;
}
