// `ic-upload replica`: the embedded replica as a persistent local network, like `dfx start` +
// `dfx deploy`. It runs until interrupted, and tells the other commands where it is by writing
// `.ic-upload.json` in the current folder and in the user's state folder.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalNetwork, LocalNetworkError } from '../replica/local_network.js';
import { stateDir } from '../client/node/state_dir.js';
import { CONFIG_FILE } from './config.js';
import { CliError, UsageError } from './errors.js';

export interface ReplicaOptions {
  stateDir?: string;
  port?: string;
  wasm?: string;
  verbose?: boolean;
  json?: boolean;
  [option: string]: unknown;
}

const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_WASM = join(PACKAGE_ROOT, '.azle', 'ic_upload', 'ic_upload.wasm');

export async function runReplica(options: ReplicaOptions): Promise<void> {
  const port = options.port === undefined ? 4943 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not '${options.port}'`);
  const wasmPath = resolve(options.wasm ?? DEFAULT_WASM);
  if (!existsSync(wasmPath)) {
    throw new CliError(`the canister Wasm ${wasmPath} does not exist: build it with \`npm run build\` (or pass --wasm)`);
  }
  const dir = resolve(options.stateDir ?? join(stateDir(), 'replica'));
  let network;
  try {
    network = await startLocalNetwork({
      stateDir: dir,
      wasm: new Uint8Array(readFileSync(wasmPath)),
      port,
      log: (line) => options.verbose && process.stderr.write(line + '\n'),
      // A tuning knob for tests that want checkpoints often: input log bytes between two.
      ...(process.env.IC_UPLOAD_CHECKPOINT_BYTES ? { checkpointLogBytes: Number(process.env.IC_UPLOAD_CHECKPOINT_BYTES) } : {})
    });
  } catch (e) {
    if (e instanceof LocalNetworkError) throw new CliError(e.message);
    throw e;
  }
  const config = JSON.stringify({ url: network.url, canisterId: network.canisterId }, null, 2) + '\n';
  for (const folder of [process.cwd(), stateDir()]) {
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, CONFIG_FILE), config);
  }
  if (options.json) {
    process.stdout.write(JSON.stringify({ url: network.url, canisterId: network.canisterId, stateDir: dir }) + '\n');
  } else {
    process.stdout.write(
      [
        `ic-upload replica running at ${network.url}`,
        `  canister id: ${network.canisterId}`,
        `  state:       ${dir}`,
        `Upload from another terminal: npx ic-upload put <file>   (Ctrl-C stops the replica; its state is kept)`,
        ''
      ].join('\n')
    );
  }
  await new Promise<void>((done) => {
    const stop = () => void network.close().then(done);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
