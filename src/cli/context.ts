// What commands need from the outside world, gathered so tests can run the CLI without a network.
import { join } from 'node:path';
import type { ImageDeriver } from '../client/derivatives.js';
import { FileJournal } from '../client/node/file_journal.js';
import { sharpDeriver } from '../client/node/sharp_deriver.js';
import type { Journal } from '../client/types.js';
import { resolveConnection, type Connection, type GlobalOptions } from './config.js';
import type { Connected } from './connect.js';
import type { ReplicaOptions } from './replica.js';
import { CliError } from './errors.js';

export interface CliContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Whether stderr is a terminal (progress bars) . */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  resolve(options: GlobalOptions): Promise<Connection>;
  connect(connection: Connection): Promise<Connected>;
  journal(connection: Connection): Journal;
  deriver: ImageDeriver;
  runReplica(options: ReplicaOptions): Promise<void>;
  /** Registers a handler for Ctrl-C, after which the process exits with 130; returns its remover. */
  onInterrupt(handler: () => void): () => void;
}

export function processContext(): CliContext {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    cwd: process.cwd(),
    resolve: (options) => resolveConnection(options, process.env, process.cwd()),
    // agent-js is loaded by the commands that talk to a canister: `ic-upload replica` starts
    // without it (loading it is ≈ 0.7 s of a start), and loads it only to deploy the app.
    connect: async (connection) => (await import('./connect.js')).connect(connection),
    journal: (connection) => new FileJournal(join(connection.stateDir, 'journal.json')),
    deriver: sharpDeriver,
    runReplica: loadAndRunReplica,
    onInterrupt(handler) {
      const onSigint = () => {
        handler();
        process.exit(130);
      };
      process.once('SIGINT', onSigint);
      return () => process.off('SIGINT', onSigint);
    }
  };
}

/**
 * The embedded replica is loaded only when `ic-upload replica` runs: it needs the canister Wasm
 * built by Azle and the replica's own libraries, which a clone of the repository has and the npm
 * package (the client and the CLI) does not ship.
 */
async function loadAndRunReplica(options: ReplicaOptions): Promise<void> {
  let module: typeof import('./replica.js');
  try {
    module = await import('./replica.js');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new CliError('`ic-upload replica` runs from a clone of the ic-upload repository (`npm ci && npm start`); this installation has the client and the CLI only', 1, { cause: error });
  }
  return module.runReplica(options);
}
