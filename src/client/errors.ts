// Errors the client throws: a kind (the class) plus the contract's variant where there is one
// (STYLE.md 3). Callers branch on the class and on `code`, never on message text.
import type { UploadError as ContractError } from '../../candid/ic_upload.js';
import { toHex } from '../shared/bytes.js';
import { classify, type ErrorSummary } from './agent_errors.js';

export type { ErrorSummary };

export type ErrorCode = ContractError extends infer E ? (E extends unknown ? keyof E : never) : never;

/** Base of every error the client library throws for a file. */
export class UploadError extends Error {
  constructor(
    message: string,
    /** The file (or asset) the failure concerns. */
    readonly fileName: string,
    options?: { cause?: unknown }
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The canister answered a permanent Err variant. The message is the canister's own text (it
 * names the asset, upload or blob); `method` says which call answered, for debugging. */
export class ServiceError extends UploadError {
  readonly code: ErrorCode;
  constructor(
    readonly variant: ContractError,
    fileName: string,
    readonly method: string
  ) {
    super(describeVariant(variant, fileName), fileName);
    this.code = Object.keys(variant)[0] as ErrorCode;
  }
}

/** A transient failure persisted through every retry the policy allows. */
export class RetriesExhaustedError extends UploadError {
  constructor(
    fileName: string,
    readonly method: string,
    readonly attempts: number,
    cause: unknown
  ) {
    super(`gave up on ${fileName} after ${attempts} attempts: ${messageOf(cause)}`, fileName, { cause });
  }
}

/** The caller's AbortSignal fired; the canister upload was aborted. */
export class UploadAbortedError extends UploadError {
  constructor(fileName: string, cause?: unknown) {
    super(`upload of ${fileName} was aborted`, fileName, { cause });
  }
}

/** Downloaded bytes do not match the blob record (size or SHA-256). */
export class IntegrityError extends UploadError {
  constructor(
    fileName: string,
    readonly expected: string,
    readonly actual: string
  ) {
    super(`downloaded ${fileName} does not match its record: expected ${expected}, got ${actual}`, fileName);
  }
}

/** The contract's Err variant as a phrase for a person; `fileName` names the upload's file. */
export function describeVariant(variant: ContractError, fileName = 'the file'): string {
  if ('InvalidArgument' in variant) return variant.InvalidArgument;
  if ('NotFound' in variant) return variant.NotFound;
  if ('Forbidden' in variant) return variant.Forbidden;
  if ('InvalidState' in variant) return variant.InvalidState;
  if ('LimitExceeded' in variant) return variant.LimitExceeded;
  if ('ChunkOutOfRange' in variant) {
    const v = variant.ChunkOutOfRange;
    return `chunk ${v.index} of ${fileName} is out of range (the upload has ${v.chunk_count} chunks)`;
  }
  if ('ChunkSizeMismatch' in variant) {
    const v = variant.ChunkSizeMismatch;
    return `chunk ${v.index} of ${fileName} has ${v.actual} bytes where the upload expects ${v.expected}`;
  }
  if ('ChunkConflict' in variant) return `chunk ${variant.ChunkConflict.index} of ${fileName} differs from the one the canister already has`;
  if ('Incomplete' in variant) return `the canister is missing chunks ${Array.from(variant.Incomplete.missing).join(', ')} of ${fileName}`;
  if ('HashMismatch' in variant) {
    const v = variant.HashMismatch;
    return `${fileName} does not match its SHA-256 (expected ${toHex(v.expected)}, the canister computed ${toHex(v.actual)})`;
  }
  const v = variant.HashPending;
  return `the canister is still hashing ${fileName} (${v.hashed} of ${v.chunk_count} chunks)`;
}

/** One line for a person: agent-js errors read from their fields, others by their first line. */
export function messageOf(error: unknown): string {
  return summarizeError(error).message;
}

/**
 * One line and a code for any thrown value: the contract's variant for a ServiceError, the IC error
 * code of a replica rejection, a Node errno code; a wrapper without its own code takes its cause's.
 * (The one classification is {@link classify}.)
 */
export function summarizeError(error: unknown): ErrorSummary {
  const { message, code } = classify(error);
  return code === undefined ? { message } : { message, code };
}
