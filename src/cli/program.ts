// The command tree (commander). Each action resolves to an exit code; main.ts maps thrown errors
// to codes and one-sentence messages.
import { Command, InvalidArgumentError, Option } from 'commander';
import { registerDeployApp } from './commands/deploy_app.js';
import { get } from './commands/get.js';
import { abort, ls, rm, status } from './commands/manage.js';
import { put } from './commands/put.js';
import type { GlobalOptions } from './config.js';
import type { CliContext } from './context.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('expected an integer from 1 to 64');
  return n;
}

const EXIT_CODES_HELP = `
Exit codes:
  0    every operation succeeded
  1    an operation failed (details on stderr; with --json, in the document on stdout)
  2    usage error (bad arguments or options, missing canister id, unreadable identity)
  130  interrupted (Ctrl-C); a put resumes when run again
`;

/** Builds the program; `setExitCode` receives each action's result. */
export function buildProgram(ctx: CliContext, setExitCode: (code: number) => void): Command {
  const program = new Command('ic-upload')
    .description('Chunked, verified, resumable uploads into an Internet Computer canister')
    .version('0.1.0')
    .option('--network <url|ic>', 'replica URL (e.g. http://127.0.0.1:4943), "local" or "ic" (default: .ic-upload.json, else local)')
    .option('--canister-id <id>', 'ic_upload canister id (default: $IC_UPLOAD_CANISTER_ID or .ic-upload.json)')
    .option('--identity <pem>', 'dfx identity PEM file, Ed25519 or secp256k1 (default: a key kept in the state folder)')
    .option('--json', 'print one JSON document instead of human-readable lines')
    .option('--verbose', 'show full errors with stack traces')
    // Subcommands inherit these settings (commander copies them at .command()), so every level's
    // --help shows the global options and the exit codes.
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('afterAll', EXIT_CODES_HELP)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s)
    });

  const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions & Record<string, unknown>>();
  const run = (action: (cmd: Command) => Promise<number>) => async (...args: unknown[]) => {
    setExitCode(await action(args[args.length - 1] as Command));
  };

  program
    .command('put')
    .description('upload files and directories (directories are expanded; images get display/thumb/placeholder variants)')
    .argument('<paths...>', 'files or directories')
    .addOption(new Option('-c, --concurrency <n>', 'files uploading at once').default(4).argParser(positiveInt))
    .addOption(new Option('--chunk-concurrency <n>', 'chunks in flight per file').default(4).argParser(positiveInt))
    .option('--no-derivatives', 'do not make image derivatives')
    .option('--prefix <prefix>', 'prepend "<prefix>/" to every asset id')
    .option('-f, --force', 're-upload files whose asset already holds the same SHA-256')
    .action(
      run((cmd) => {
        const o = globals(cmd);
        return put(ctx, cmd.args, {
          ...o,
          concurrency: o.concurrency as number,
          chunkConcurrency: o.chunkConcurrency as number,
          derivatives: o.derivatives as boolean,
          prefix: o.prefix as string | undefined,
          force: o.force === true
        });
      })
    );

  program
    .command('get')
    .description('download one variant of an asset, verified against its SHA-256')
    .argument('<asset>', 'asset id')
    .option('--variant <variant>', 'original, display, thumb, placeholder, …', 'original')
    .option('-o, --output <path>', 'where to write ("-" for stdout; default: the stored file name)')
    .option('-f, --force', 'overwrite an existing file')
    .action(
      run((cmd) => {
        const o = globals(cmd);
        return get(ctx, cmd.args[0]!, { ...o, variant: o.variant as string, output: o.output as string | undefined, force: o.force === true });
      })
    );

  program
    .command('ls')
    .description('list your assets')
    .option('--prefix <prefix>', 'only asset ids starting with this')
    .action(run((cmd) => ls(ctx, { ...globals(cmd), prefix: globals(cmd).prefix as string | undefined })));

  program
    .command('status')
    .description('show an upload, or your open uploads and the local resume journal')
    .argument('[upload-id]', 'upload id')
    .action(run((cmd) => status(ctx, cmd.args[0], globals(cmd))));

  program
    .command('abort')
    .description('abort open uploads: one by its upload id, or every open upload of an asset')
    .argument('<asset-or-upload-id>', 'an upload id (a number, as `status` shows) or an asset id')
    .action(run((cmd) => abort(ctx, cmd.args[0]!, globals(cmd))));

  program
    .command('rm')
    .description('delete assets and all their variants')
    .argument('<assets...>', 'asset ids')
    .action(run((cmd) => rm(ctx, cmd.args, globals(cmd))));

  registerDeployApp(program, ctx, run, globals);

  program
    .command('replica')
    .description('run the embedded replica as a persistent local network')
    .option('--state-dir <dir>', 'folder keeping the replica state')
    .option('--port <n>', 'port to listen on (default 4943)')
    .option('--wasm <path>', 'canister Wasm to run (default: .azle/ic_upload/ic_upload.wasm, built by npm run build)')
    .allowUnknownOption()
    .action(
      run(async (cmd) => {
        await ctx.runReplica(globals(cmd));
        return 0;
      })
    );

  return program;
}
