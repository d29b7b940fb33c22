// One sentence and a code from an agent-js error (STYLE.md 3: branch on the class and its fields,
// never on message text). agent-js builds `message` from `ErrorCode.toString()`: a headline
// ("The replica returned a rejection error:") followed by indented detail lines and the call
// context, so its first line says nothing. The facts live on `error.cause.code`; this reads them.
//
// Recognised by shape (the `name` each agent-js ErrorCode class sets, and its public fields) rather
// than `instanceof`, so errors from another copy of agent-js (an app's own, pic-js's) read the same.
import type { ErrorKindEnum } from '@icp-sdk/core/agent';

/** What a failure says to a person (one line, no final period) and its code where it has one. */
export interface ErrorSummary {
  message: string;
  code?: string;
}

/** Code for a canister id the network does not host (no IC error code exists for it). */
export const CANISTER_NOT_ON_NETWORK = 'CanisterNotOnNetwork';
/** Code for a network that could not be reached at all (connection refused, DNS, timeout). */
export const NETWORK_UNREACHABLE = 'NetworkUnreachable';

interface PrincipalLike {
  toText(): string;
}

/** The fields of agent-js's ErrorCode subclasses this module reads; all optional. */
interface AgentErrorCodeShape {
  name?: unknown;
  callContext?: { canisterId?: PrincipalLike; methodName?: string };
  toErrorMessage?: () => string;
  // Certified/UncertifiedReject(Update)ErrorCode
  rejectCode?: unknown;
  rejectMessage?: unknown;
  rejectErrorCode?: unknown;
  // CertificateNotAuthorizedErrorCode
  canisterId?: PrincipalLike;
  subnetId?: PrincipalLike;
  // HttpErrorCode
  status?: unknown;
  statusText?: unknown;
  bodyText?: unknown;
  // HttpFetchErrorCode, UnexpectedErrorCode
  error?: unknown;
  // TimeoutWaitingForResponseErrorCode and others
  message?: unknown;
}

const REJECT_NAMES = new Set(['CertifiedRejectErrorCode', 'UncertifiedRejectErrorCode', 'UncertifiedRejectUpdateErrorCode']);

/** The ErrorCode of an agent-js AgentError (`error.cause.code`), if `error` is one. */
export function agentErrorCode(error: unknown): { code: AgentErrorCodeShape; kind?: ErrorKindEnum } | undefined {
  if (!(error instanceof Error)) return undefined;
  const cause = (error as { cause?: unknown }).cause;
  // AgentError's cause is a plain { code, kind }; an Error as cause means `error` merely wraps one.
  if (!cause || typeof cause !== 'object' || cause instanceof Error) return undefined;
  const code = (cause as { code?: unknown }).code;
  if (!code || typeof code !== 'object' || typeof (code as AgentErrorCodeShape).name !== 'string') return undefined;
  return { code: code as AgentErrorCodeShape, kind: (cause as { kind?: ErrorKindEnum }).kind };
}

/** A one-line summary of an agent-js error, or undefined when `error` is not one. */
export function summarizeAgentError(error: unknown): ErrorSummary | undefined {
  const found = agentErrorCode(error);
  if (!found) return undefined;
  const { code } = found;
  const canister = code.callContext?.canisterId?.toText();
  const name = code.name as string;

  if (REJECT_NAMES.has(name)) {
    const errorCode = typeof code.rejectErrorCode === 'string' && code.rejectErrorCode ? code.rejectErrorCode : undefined;
    const reason = oneLine(String(code.rejectMessage ?? ''));
    const detail = errorCode ? `${errorCode}: ${reason}` : `reject code ${String(code.rejectCode)}: ${reason}`;
    return { message: `${rejectHeadline(Number(code.rejectCode), errorCode, canister)} (${detail})`, code: errorCode };
  }
  if (name === 'CertificateNotAuthorizedErrorCode') {
    // The replica's certificate is signed by a subnet whose canister ranges exclude this id.
    const id = code.canisterId?.toText() ?? canister ?? 'the canister';
    const subnet = code.subnetId?.toText();
    return { message: `canister ${id} is not on this network${subnet ? ` (subnet ${subnet} does not host it)` : ''}`, code: CANISTER_NOT_ON_NETWORK };
  }
  if (name === 'HttpErrorCode') {
    const status = Number(code.status);
    const body = typeof code.bodyText === 'string' ? oneLine(code.bodyText).replace(/\.$/, '') : '';
    const text = typeof code.statusText === 'string' && code.statusText ? ` ${code.statusText}` : '';
    const to = canister ? ` to canister ${canister}` : '';
    return { message: `the network refused the request${to} (HTTP ${status}${text}${body ? `: ${body}` : ''})`, code: `HTTP${status}` };
  }
  if (name === 'HttpFetchErrorCode') {
    return { message: `could not reach the network (${fetchFailure(code.error)})`, code: NETWORK_UNREACHABLE };
  }
  if (name === 'TimeoutWaitingForResponseErrorCode') {
    return { message: `timed out waiting for the replica's answer (${oneLine(String(code.message ?? ''))})`, code: 'Timeout' };
  }
  // Any other ErrorCode: its own message without the call context, folded onto one line.
  const text = typeof code.toErrorMessage === 'function' ? code.toErrorMessage() : (error as Error).message;
  return { message: oneLine(text.replace(/:\s*$/, '')) };
}

function rejectHeadline(rejectCode: number, errorCode: string | undefined, canister: string | undefined): string {
  const who = canister ? `canister ${canister}` : 'the canister';
  // IC error codes: the first digit is the reject code; IC0301 is CanisterNotFound.
  if (errorCode === 'IC0301') return `${who} not found on this network`;
  switch (rejectCode) {
    case 1:
      return 'the replica could not process the call';
    case 2:
      return 'the replica is temporarily unable to process the call';
    case 3:
      return `${who} cannot take this call`;
    case 4:
      return `${who} rejected the call`;
    case 5:
      return `${who} failed while handling the call`;
    default:
      return 'the replica rejected the call';
  }
}

/** `fetch failed: connect ECONNREFUSED 127.0.0.1:1` from undici's TypeError and its cause. */
function fetchFailure(error: unknown): string {
  if (!(error instanceof Error)) return oneLine(String(error));
  const cause = (error as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? cause.message : '';
  return oneLine(inner && inner !== error.message ? `${error.message}: ${inner}` : error.message);
}

/** Folds indented detail lines onto one line. */
export function oneLine(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}
