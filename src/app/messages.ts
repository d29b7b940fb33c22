// What the page says for each kind of error (the page's half; the worker sorts errors in errors.ts).
import type { AppError } from './protocol.js';

/** The sentence the page shows for an error. */
export function describeAppError(error: AppError): string {
  switch (error.kind) {
    case 'quota':
      return `Over a limit of this canister: ${error.message}. Delete some files or ask its operator for more room.`;
    case 'forbidden':
      return `Not allowed: ${error.message}. This name may belong to someone else — pick another, or sign in as its owner.`;
    case 'network':
      return `Cannot reach the network (${error.message}). Check the connection; unfinished uploads resume from where they stopped.`;
    case 'not-found':
      return `Not found: ${error.message}.`;
    case 'integrity':
      return `The bytes received do not match their record: ${error.message}.`;
    case 'aborted':
      return 'Cancelled.';
    case 'invalid':
    case 'other':
      return error.message;
  }
}
