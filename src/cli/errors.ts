// CLI failures as classes carrying their exit code: 1 = the operation failed, 2 = usage error.
import { NETWORK_UNREACHABLE } from '../client/agent_errors.js';
import { messageOf, summarizeError } from '../client/errors.js';

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

/** One clear sentence for a person: the first line of the message, Node's errno codes spelt out. */
export function oneSentence(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  const path = (error as { path?: unknown })?.path;
  if (typeof code === 'string' && typeof path === 'string') {
    const what: Record<string, string> = {
      ENOENT: 'no such file or directory',
      EACCES: 'permission denied',
      EISDIR: 'is a directory',
      ENOTDIR: 'not a directory'
    };
    if (what[code]) return `${path}: ${what[code]}.`;
  }
  const summary = summarizeError(error);
  if (summary.code === NETWORK_UNREACHABLE) {
    return `${summary.message}; is the replica running?`.replace(/\.?$/, '.');
  }
  let text = messageOf(error).trim();
  // agent-js puts call context after the first line; keep the first sentence-like part.
  text = text.replace(/\s+/g, ' ');
  if (text.length > 300) text = `${text.slice(0, 297)}...`;
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
