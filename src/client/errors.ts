// Errors the client throws: a kind (the class) plus the contract's variant where there is one
// (STYLE.md 3). Callers branch on the class and on `code`, never on message text.
import type { UploadError as ContractError } from '../../candid/ic_upload.js';
import { summarizeAgentError, type ErrorSummary } from './agent_errors.js';

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

/** The canister answered a permanent Err variant. */
export class ServiceError extends UploadError {
  readonly code: ErrorCode;
  constructor(
    readonly variant: ContractError,
    fileName: string,
    readonly method: string
  ) {
    super(`${method} failed for ${fileName}: ${describeVariant(variant)}`, fileName);
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
    super(`${method} for ${fileName} still failing after ${attempts} attempts: ${messageOf(cause)}`, fileName, { cause });
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

export function describeVariant(variant: ContractError): string {
  const [code, value] = Object.entries(variant)[0] as [string, unknown];
  if (typeof value === 'string') return `${code}: ${value}`;
  if (code === 'HashMismatch') {
    const v = value as { expected: Uint8Array | number[]; actual: Uint8Array | number[] };
    return `HashMismatch (expected ${toHex(v.expected)}, canister computed ${toHex(v.actual)})`;
  }
  if (code === 'Incomplete') {
    const v = value as { missing: Uint32Array | number[] };
    return `Incomplete (missing chunks ${Array.from(v.missing).join(', ')})`;
  }
  return `${code} ${JSON.stringify(value)}`;
}

/** One line for a person: agent-js errors read from their fields, others by their first line. */
export function messageOf(error: unknown): string {
  return summarizeError(error).message;
}

/**
 * One line and a code for any thrown value: the contract's variant for a ServiceError, the IC error
 * code of a replica rejection, a Node errno code; a wrapper without its own code takes its cause's.
 */
export function summarizeError(error: unknown): ErrorSummary {
  const agent = summarizeAgentError(error);
  if (agent) return agent;
  if (!(error instanceof Error)) return { message: String(error) };
  const message = error.message.split('\n')[0]?.trim() || error.name;
  const own = (error as { code?: unknown }).code;
  if (typeof own === 'string') return { message, code: own };
  const cause = error.cause;
  const code = cause !== undefined && cause !== error ? summarizeError(cause).code : undefined;
  return code === undefined ? { message } : { message, code };
}

export function toHex(bytes: Uint8Array | number[]): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
