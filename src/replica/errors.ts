// Reject codes, error codes and error texts as the IC reports them
// (IC interface specification "Reject codes"; `ic-error-types` and `HypervisorError::into_user_error`
// in dfinity/ic). Every text the replica gives a user is built here.
import type { Reject } from './types.js';

export const RejectCode = {
  SYS_FATAL: 1,
  SYS_TRANSIENT: 2,
  DESTINATION_INVALID: 3,
  CANISTER_REJECT: 4,
  CANISTER_ERROR: 5,
  SYS_UNKNOWN: 6
} as const;

/** Numeric error codes (displayed as IC0nnn); the first digit is the reject code. */
export const ErrorCode = {
  CanisterNotFound: 301,
  CanisterRejectedMessage: 406,
  CanisterTrapped: 502,
  CanisterCalledTrap: 503,
  CanisterContractViolation: 504,
  CanisterInvalidWasm: 505,
  CanisterDidNotReply: 506,
  CanisterStopped: 508,
  CanisterStopping: 509,
  CanisterInvalidController: 512,
  CanisterFunctionNotFound: 513,
  CanisterNonEmpty: 514,
  CanisterInstructionLimitExceeded: 522,
  CanisterMethodNotFound: 536,
  CanisterWasmModuleNotFound: 537,
  CanisterOutOfCycles: 207,
  InvalidManagementPayload: 403,
  CanisterRejectedByManagement: 405
} as const;

const DOCS = 'http://internetcomputer.org/docs/current/references/execution-errors';
const HANDLE_FAILURES =
  'Consider gracefully handling failures from this canister or altering the canister to handle exceptions.';

export function reject(errorCode: number, message: string): Reject {
  return { rejectCode: Math.floor(errorCode / 100), errorCode, message };
}

function canisterError(canister: string, err: string, suggestion?: string, anchor?: string): string {
  const base = `Error from Canister ${canister}: ${err}`;
  return suggestion && anchor ? `${base}.\n${suggestion} See documentation: ${DOCS}#${anchor}` : base;
}

/**
 * A trap inside an execution: thrown from System API imports (and made from Wasm RuntimeErrors),
 * caught by the executor, which rolls the execution back and reports `toReject`.
 */
export class CanisterTrap extends Error {
  constructor(
    readonly errorCode: number,
    readonly detail: string
  ) {
    super(detail);
    this.name = 'CanisterTrap';
  }

  toReject(canister: string): Reject {
    return reject(this.errorCode, describeTrap(canister, this.errorCode, this.detail));
  }
}

function describeTrap(canister: string, code: number, detail: string): string {
  switch (code) {
    case ErrorCode.CanisterCalledTrap:
      return canisterError(canister, `Canister called \`ic0.trap\` with message: '${detail}'`, HANDLE_FAILURES, 'trapped-explicitly');
    case ErrorCode.CanisterTrapped:
      return canisterError(canister, `Canister trapped: ${detail}`, HANDLE_FAILURES, 'trapped');
    case ErrorCode.CanisterInstructionLimitExceeded:
      return canisterError(
        canister,
        `Canister exceeded the limit of ${detail} instructions for single message execution`,
        'Try optimizing this method to consume fewer instructions or split the work across multiple messages.',
        'instruction-limit-exceeded'
      );
    case ErrorCode.CanisterContractViolation:
      return canisterError(canister, `Canister violated contract: ${detail}`);
    case ErrorCode.CanisterFunctionNotFound:
      return canisterError(canister, `Canister requested to invoke a non-existent Wasm function ${detail}`);
    default:
      return canisterError(canister, detail);
  }
}

export const trap = {
  called: (msg: string) => new CanisterTrap(ErrorCode.CanisterCalledTrap, msg),
  wasm: (what: string) => new CanisterTrap(ErrorCode.CanisterTrapped, what),
  contract: (what: string) => new CanisterTrap(ErrorCode.CanisterContractViolation, what),
  instructions: (limit: bigint) => new CanisterTrap(ErrorCode.CanisterInstructionLimitExceeded, limit.toString())
};

export const rejects = {
  canisterNotFound: (canister: string) => reject(ErrorCode.CanisterNotFound, `Canister ${canister} not found`),
  methodNotFound: (canister: string, kind: 'update' | 'query', method: string) =>
    reject(
      ErrorCode.CanisterMethodNotFound,
      canisterError(
        canister,
        `Canister has no ${kind} method '${method}'.`,
        'Check that the method being called is exported by the target canister.',
        'method-not-found'
      )
    ),
  noWasm: (canister: string) =>
    reject(
      ErrorCode.CanisterWasmModuleNotFound,
      canisterError(
        canister,
        'Attempted to execute a message, but the canister contains no Wasm module.',
        'Ensure that the canister has a Wasm module installed.',
        'wasm-module-not-found'
      )
    ),
  didNotReply: (canister: string) =>
    reject(
      ErrorCode.CanisterDidNotReply,
      canisterError(canister, 'Canister did not reply to the call', 'Make sure that the canister replies to all calls.', 'no-reply')
    ),
  rejectedMessage: (canister: string) =>
    reject(ErrorCode.CanisterRejectedMessage, `Error from Canister ${canister}: Canister rejected the message`),
  stopped: (canister: string) => reject(ErrorCode.CanisterStopped, `Canister ${canister} is stopped`),
  stopping: (canister: string) => reject(ErrorCode.CanisterStopping, `Canister ${canister} is stopping`),
  notController: (canister: string, method: string) =>
    reject(ErrorCode.CanisterInvalidController, `Only controllers of canister ${canister} can call ic00 method ${method}`),
  nonEmpty: (canister: string) =>
    reject(
      ErrorCode.CanisterNonEmpty,
      `Canister ${canister} cannot be installed because the canister is not empty. Try installing with mode='reinstall' instead.`
    ),
  invalidWasm: (canister: string, why: string) =>
    reject(ErrorCode.CanisterInvalidWasm, `Error from Canister ${canister}: Canister's Wasm module is not valid: ${why}`),
  badPayload: (method: string, why: string) =>
    reject(ErrorCode.InvalidManagementPayload, `Error decoding candid for method ${method}: ${why}`),
  management: (message: string) => reject(ErrorCode.CanisterRejectedByManagement, message)
};

/** Errors the REST/HTTP front ends turn into 400 responses (PocketIC `BadIngressMessage`). */
export class BadIngressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadIngressError';
  }
}

/** An ingress message refused before execution; carries the reject the caller sees. */
export class IngressRejectedError extends Error {
  readonly rejectCode: number;
  readonly errorCode: number;
  constructor(readonly reject: Reject) {
    super(reject.message);
    this.name = 'IngressRejectedError';
    this.rejectCode = reject.rejectCode;
    this.errorCode = reject.errorCode;
  }
}

export class SettingTimeIntoPastError extends Error {
  constructor(current: bigint, requested: bigint) {
    super(`SettingTimeIntoPast((${current}, ${requested}))`);
    this.name = 'SettingTimeIntoPastError';
  }
}

export class UnknownCanisterError extends Error {
  constructor(canister: string) {
    super(`CanisterNotFound(${canister})`);
    this.name = 'UnknownCanisterError';
  }
}
