// Entry point of `ic-upload`. Exit codes: 0 ok, 1 an operation failed, 2 usage error.
import { CommanderError } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { processContext, type CliContext } from './context.js';
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, oneSentence } from './errors.js';
import { buildProgram } from './program.js';

export async function main(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(ctx, (code) => {
    exitCode = code;
  });
  const verbose = argv.includes('--verbose');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; everything else commander throws is a usage error it has printed.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    const code = error instanceof CliError ? error.exitCode : EXIT_FAILED;
    ctx.stderr.write(`error: ${oneSentence(error)}\n`);
    if (verbose && error instanceof Error) ctx.stderr.write(`${error.stack ?? ''}\n${error.cause ? `cause: ${String((error.cause as Error).stack ?? error.cause)}\n` : ''}`);
    return code;
  }
}

function isEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  process.exitCode = await main(process.argv.slice(2));
}
