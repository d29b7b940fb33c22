// Where the CLI connects and as whom: flags, then environment, then `.ic-upload.json` (written by
// `ic-upload replica`: `{ "url": "http://127.0.0.1:4943", "canisterId": "…", "pid": 123 }`) in
// the current folder or the nearest folder above it that has one — the project's — and only then
// the user-wide one in the state folder, then defaults.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Principal } from '@icp-sdk/core/principal';
import { stateDir } from '../client/node/state_dir.js';
import { UsageError } from './errors.js';

export const CONFIG_FILE = '.ic-upload.json';
export const DEFAULT_LOCAL_URL = 'http://127.0.0.1:4943';
export const MAINNET_URL = 'https://icp-api.io';

export interface ConfigFile {
  url: string;
  canisterId: string;
  /** The process of the replica that wrote it. */
  pid?: number;
}

export interface GlobalOptions {
  network?: string;
  canisterId?: string;
  identity?: string;
  json?: boolean;
  verbose?: boolean;
}

export interface Connection {
  url: string;
  /** Whether the root key must be fetched from the replica (anything but mainnet). */
  local: boolean;
  canisterId: string;
  /** PEM path, or undefined for the default identity in the state folder. */
  identityPath?: string;
  stateDir: string;
}

/** Reads `.ic-upload.json` from the first of `dirs` that has one. */
export async function readConfigFile(dirs: string[]): Promise<(ConfigFile & { path: string }) | undefined> {
  for (const dir of dirs) {
    const path = join(dir, CONFIG_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new UsageError(`${path} is not valid JSON`);
    }
    const c = parsed as Partial<ConfigFile>;
    if (typeof c.url !== 'string' || typeof c.canisterId !== 'string') throw new UsageError(`${path} must hold { "url": string, "canisterId": string }`);
    return { url: c.url, canisterId: c.canisterId, ...(typeof c.pid === 'number' ? { pid: c.pid } : {}), path };
  }
  return undefined;
}

/** `dir`, its parent, and so on up to the root. */
export function folderAndAncestors(dir: string): string[] {
  const out = [dir];
  for (let up = dirname(dir); up !== out[out.length - 1]; up = dirname(up)) out.push(up);
  return out;
}

export function networkUrl(network: string): { url: string; local: boolean } {
  if (network === 'ic' || network === 'mainnet') return { url: MAINNET_URL, local: false };
  if (network === 'local') return { url: DEFAULT_LOCAL_URL, local: true };
  let url: URL;
  try {
    url = new URL(network);
  } catch {
    throw new UsageError(`--network must be "ic", "local" or a URL like ${DEFAULT_LOCAL_URL}, not "${network}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--network URL must be http or https, not ${url.protocol}`);
  const mainnet = /(^|\.)(icp0\.io|ic0\.app|icp-api\.io)$/.test(url.hostname);
  return { url: network.replace(/\/+$/, ''), local: !mainnet };
}

export async function resolveConnection(options: GlobalOptions, env: NodeJS.ProcessEnv, cwd: string): Promise<Connection> {
  const state = stateDir(env);
  const file = await readConfigFile([...folderAndAncestors(cwd), state]);
  const network = options.network ?? env.IC_UPLOAD_NETWORK ?? file?.url ?? DEFAULT_LOCAL_URL;
  const { url, local } = networkUrl(network);
  const canisterId = options.canisterId ?? env.IC_UPLOAD_CANISTER_ID ?? file?.canisterId;
  if (!canisterId) {
    throw new UsageError(`no canister id: pass --canister-id, set IC_UPLOAD_CANISTER_ID, or start a local replica with \`ic-upload replica\``);
  }
  try {
    Principal.fromText(canisterId);
  } catch {
    throw new UsageError(`"${canisterId}" is not a canister id`);
  }
  return { url, local, canisterId, identityPath: options.identity ?? env.IC_UPLOAD_IDENTITY, stateDir: state };
}
