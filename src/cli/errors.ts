// CLI failures as classes carrying their exit code: 1 = the operation failed, 2 = usage error.
import { NETWORK_UNREACHABLE } from '../client/agent_errors.js';
import { summarizeError } from '../client/errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILED,
    options?: { cause?: unknown }
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device'
};

/** Code of a usage error in `--json` output. */
export const USAGE = 'Usage';

/**
 * A failure for a person (one line, no final period) and its code: Node's errno codes spelt out
 * with the path, usage errors as `Usage`, everything else as the client library summarizes it.
 */
export function describeError(error: unknown): { message: string; code?: string } {
  const code = (error as { code?: unknown } | null)?.code;
  const path = (error as { path?: unknown } | null)?.path;
  if (typeof code === 'string' && typeof path === 'string' && ERRNO_TEXT[code]) return { message: `${path}: ${ERRNO_TEXT[code]}`, code };
  if (error instanceof UsageError) return { message: error.message, code: USAGE };
  if (error instanceof CliError) return { message: error.message };
  const summary = summarizeError(error);
  if (summary.code === NETWORK_UNREACHABLE) return { ...summary, message: `${summary.message}; is the replica running?` };
  return summary;
}

/** One clear sentence for a person: see {@link describeError}. */
export function oneSentence(error: unknown): string {
  return sentence(describeError(error).message);
}

/** Whitespace folded, long texts cut, and a final period unless it already ends in . ! or ?. */
export function sentence(text: string): string {
  let out = text.replace(/\s+/g, ' ').trim();
  if (out.length > 300) out = `${out.slice(0, 297)}...`;
  return /[.!?]$/.test(out) ? out : `${out}.`;
}
