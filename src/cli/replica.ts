// `ic-upload replica`: the embedded replica as a persistent local network, like `dfx start` +
// `dfx deploy`. It runs until interrupted, and tells the other commands where it is by writing
// `.ic-upload.json` in the current folder and in the user's state folder.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { IcUploadService } from '../../candid/ic_upload.js';
import { startLocalNetwork, LocalNetworkError, controllerKeyFile } from '../replica/local_network.js';
import { appUrl, DEFAULT_APP_DIR, deployApp } from './commands/deploy_app.js';
import { stateDir } from '../client/node/state_dir.js';
import { assetUrl } from '../client/asset_url.js';
import { CONFIG_FILE } from './config.js';
import { PACKAGE_ROOT } from './package_root.js';
import { CliError, UsageError } from './errors.js';

export interface ReplicaOptions {
  stateDir?: string;
  port?: string;
  wasm?: string;
  verbose?: boolean;
  json?: boolean;
  [option: string]: unknown;
}

const DEFAULT_WASM = join(PACKAGE_ROOT, '.azle', 'ic_upload', 'ic_upload.wasm');

/** The pid of another live replica that wrote the config file at `path`, if one did. */
function runningOwner(path: string): number | undefined {
  let pid: unknown;
  try {
    pid = (JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown }).pid;
  } catch {
    return undefined;
  }
  if (typeof pid !== 'number' || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

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
  const config = JSON.stringify({ url: network.url, canisterId: network.canisterId, pid: process.pid }, null, 2) + '\n';
  for (const folder of [process.cwd(), stateDir()]) {
    const path = join(folder, CONFIG_FILE);
    const owner = runningOwner(path);
    if (owner !== undefined) {
      process.stderr.write(`not updating ${path}: it belongs to the replica running as process ${owner}\n`);
      continue;
    }
    mkdirSync(folder, { recursive: true });
    writeFileSync(path, config);
  }
  const app = await deployBundledApp(network.url, network.canisterId, dir);
  // The gateway's root for this canister: an asset's URL is this followed by its id.
  const gateway = assetUrl(network.canisterId, '', { network: network.url });
  if (options.json) {
    process.stdout.write(JSON.stringify({ url: network.url, canisterId: network.canisterId, gateway, stateDir: dir, ...(app ? { appUrl: app } : {}) }) + '\n');
  } else {
    process.stdout.write(
      [
        `ic-upload replica running at ${network.url}`,
        `  canister id:   ${network.canisterId}`,
        ...(app ? [`  app:           ${app}`] : []),
        `  public assets: ${gateway}<asset id>`,
        `                 or ${network.url}/<asset id>?canisterId=${network.canisterId}`,
        `  state:         ${dir}`,
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

/**
 * Deploys the built browser app (dist/app, from `node scripts/build-app.mjs`) as the local
 * network's controller, so the canister serves it at `/`; answers its URL, or undefined when no
 * app is built. Unchanged files are skipped, so a restart costs one query per file.
 */
async function deployBundledApp(url: string, canisterId: string, dir: string): Promise<string | undefined> {
  if (!existsSync(join(DEFAULT_APP_DIR, 'index.html'))) return undefined;
  // Loaded here, once the network answers: agent-js is ≈ 0.7 s of loading that a start need not wait for.
  const [{ verifiedAgent }, { Ed25519KeyIdentity }, { certifiedActor }] = await Promise.all([import('../client/verified_subnet_keys.js'), import('@icp-sdk/core/identity'), import('./connect.js')]);
  const identity = Ed25519KeyIdentity.fromSecretKey(new Uint8Array(readFileSync(controllerKeyFile(dir))));
  const agent = await verifiedAgent({ host: url, identity, shouldFetchRootKey: true });
  const actor = certifiedActor<IcUploadService>(agent, canisterId);
  await deployApp(actor, DEFAULT_APP_DIR);
  return appUrl(url, canisterId);
}
