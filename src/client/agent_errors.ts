// The one classification of a thrown value for the client: a sentence, a code, and whether it is
// worth retrying. Everything that reports or retries an error (isTransient, summarizeError, the
// CLI's messages and --json codes) reads `classify`. STYLE.md 3: branch on the class and its
// fields, never on message text — save in `classifyTextOnlyError`, the adapter for the errors
// that carry their facts in text alone (pic-js's rejections, undici's bare fetch TypeError).
//
// agent-js errors: agent-js builds `message` from `ErrorCode.toString()`: a headline
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

/** What {@link classify} says about a thrown value. */
export interface ErrorClassification extends ErrorSummary {
  /** A network error, a timeout, a reject the IC calls transient (reject code 2, IC02xx), HTTP 408/429/5xx. */
  transient: boolean;
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

/**
 * Classifies any thrown value: agent-js errors (`@icp-sdk/core` and `@dfinity/agent` 3.x alike)
 * from their ErrorCode's fields; Node errno codes; an explicit `transient: true` flag; text-only
 * errors through {@link classifyTextOnlyError}; anything else by its first line. A wrapper without
 * a code of its own takes its cause's code and transience.
 *
 * The IC error code's first digit is its reject code, so IC01xx (fatal), IC03xx (destination
 * invalid) and IC05xx (canister error, e.g. a trap) are not transient: a trap repeats.
 */
export function classify(error: unknown): ErrorClassification {
  const agent = agentErrorCode(error);
  if (agent) return { ...summarizeAgentCode(agent.code, error as Error), transient: agentCodeIsTransient(agent.code, agent.kind) };
  if (error === null || typeof error !== 'object') return { message: String(error), transient: false };
  const flagged = (error as { transient?: unknown }).transient === true;
  const message = error instanceof Error ? error.message.split('\n')[0]?.trim() || error.name : String(error);
  const own = (error as { code?: unknown }).code;
  if (typeof own === 'string') return { message, code: own, transient: flagged || TRANSIENT_NODE_CODES.has(own) };
  const text = classifyTextOnlyError(error);
  if (text) return { message, ...(text.code === undefined ? {} : { code: text.code }), transient: flagged || text.transient };
  const cause = (error as { cause?: unknown }).cause;
  if (cause !== undefined && cause !== error) {
    const inner = classify(cause);
    return { message, ...(inner.code === undefined ? {} : { code: inner.code }), transient: flagged || inner.transient };
  }
  return { message, transient: flagged };
}

function agentCodeIsTransient(code: AgentErrorCodeShape, kind: ErrorKindEnum | undefined): boolean {
  if (code.rejectCode === 2) return true;
  if (typeof code.rejectErrorCode === 'string' && /^IC02\d\d$/.test(code.rejectErrorCode)) return true;
  if (code.name === 'TimeoutWaitingForResponseErrorCode' || code.name === 'HttpFetchErrorCode') return true;
  if (typeof code.status === 'number') return code.status === 408 || code.status === 429 || code.status >= 500;
  if (code.rejectCode !== undefined) return false;
  return kind === 'Transport';
}

/**
 * The adapter for errors whose facts exist only as text: pic-js turns the PocketIC server's
 * rejections into `Error`s whose message names the IC error code ("… error code IC0207") or the
 * reject code, and undici rejects an unreachable `fetch` with a bare `TypeError('fetch failed')`.
 * The only place the client reads message text.
 */
export function classifyTextOnlyError(error: object): { code?: string; transient: boolean } | undefined {
  if (!(error instanceof Error)) return undefined;
  const message = error.message;
  const icCode = /\b(IC0\d{3})\b/.exec(message)?.[1];
  if (icCode) return { code: icCode, transient: icCode.startsWith('IC02') };
  if (/reject code:? 2\b/i.test(message) || /SysTransient|SYS_TRANSIENT/.test(message)) return { transient: true };
  if (error instanceof TypeError && /fetch failed|network/i.test(message) && (error as { cause?: unknown }).cause === undefined) {
    return { code: NETWORK_UNREACHABLE, transient: true };
  }
  return undefined;
}

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

/** A one-line summary of an agent-js ErrorCode. */
function summarizeAgentCode(code: AgentErrorCodeShape, error: Error): ErrorSummary {
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
