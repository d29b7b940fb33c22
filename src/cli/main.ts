// Entry point of `ic-upload`. Exit codes: 0 ok, 1 an operation failed, 2 usage error.
import { CommanderError } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { processContext, type CliContext } from './context.js';
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, oneSentence, sentence, USAGE } from './errors.js';
import { failureJson, json } from './output.js';
import { buildProgram } from './program.js';

export async function main(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(ctx, (code) => {
    exitCode = code;
  });
  const verbose = argv.includes('--verbose');
  const asJson = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; everything else commander throws is a usage error it has printed.
      if (error.exitCode === 0) return EXIT_OK;
      if (asJson) ctx.stdout.write(json({ ok: false, error: { message: sentence(error.message.replace(/^error:\s*/, '')), code: USAGE } }));
      return EXIT_USAGE;
    }
    const code = error instanceof CliError ? error.exitCode : EXIT_FAILED;
    ctx.stderr.write(`error: ${oneSentence(error)}\n`);
    if (verbose && error instanceof Error) ctx.stderr.write(`${error.stack ?? ''}\n${error.cause ? `cause: ${String((error.cause as Error).stack ?? error.cause)}\n` : ''}`);
    // `get -o -` writes the file to stdout, so its JSON report (this one too) goes to stderr.
    const get = program.commands.find((c) => c.name() === 'get');
    if (asJson) (get?.opts().output === '-' ? ctx.stderr : ctx.stdout).write(json(failureJson(error)));
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
