// `ic-upload replica`: the embedded replica as a local network. Filled in by the IC HTTP interface
// work (issue 5); this stub keeps the command registered meanwhile.
import { CliError } from './errors.js';

export interface ReplicaOptions {
  stateDir?: string;
  port?: string;
  verbose?: boolean;
  json?: boolean;
  [option: string]: unknown;
}

export async function runReplica(_options: ReplicaOptions): Promise<void> {
  throw new CliError('`ic-upload replica` is not yet available');
}
