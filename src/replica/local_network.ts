// A persistent local network, like `dfx start` + `dfx deploy`: the embedded replica behind the
// IC HTTP interface, its state in a folder, time following the wall clock, and the ic_upload
// canister installed once (upgraded when its Wasm changes). A restart resumes with the same
// canister id, data and root key.
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { ed25519 } from '@noble/curves/ed25519.js';
import { existsSync, readFileSync, writeFileSync, renameSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
// node:crypto rather than @noble/hashes: module hashes cover megabytes, ≈10x faster natively.
import { sha256 } from './state_files.js';
import { FileKeyStore, loadOrCreateKeys } from './http/keys.js';
import { cachingDataCertifier } from './gateway/data_certificate.js';
import { startHttpInterface, type HttpInterface } from './http/server.js';
import { DurableReplica } from './durable_replica.js';
import { DamagedStateError, ReplicaStateDir } from './persistence.js';
import type { WrittenKind } from './state_files.js';
import type { StateMachine } from './state_machine.js';
import { bytesEqual } from '../shared/bytes.js';
import { selfAuthenticating } from './principal.js';
import type { CallResult, PrincipalBytes } from './types.js';

export interface LocalNetworkOptions {
  stateDir: string;
  /** The canister Wasm to run (installed at first start, upgraded when it changes). */
  wasm: Uint8Array;
  port?: number;
  host?: string;
  /** Canister debug_print lines. */
  log?: (line: string) => void;
  /** Input log bytes after which a checkpoint is taken (default 192 MiB). */
  checkpointLogBytes?: number;
}

export interface LocalNetwork {
  url: string;
  canisterId: string;
  /** The principal that controls the canister (a key kept in the state folder). */
  controller: string;
  /** Bytes this process has written to the state folder (for the benchmark). */
  bytesWritten(): number;
  /** The same, by kind of file (input log, heap and stable page logs, manifests, Wasm). */
  bytesWrittenByKind(): Record<WrittenKind, number>;
  /** Takes a checkpoint now (writes the changed pages, starts a new input log). */
  checkpoint(): Promise<void>;
  close(): Promise<void>;
}

/** The file tools read to find the local network (`ic-upload` looks for it). */
export const NETWORK_FILE = 'network.json';

export class LocalNetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalNetworkError';
  }
}

export async function startLocalNetwork(options: LocalNetworkOptions): Promise<LocalNetwork> {
  mkdirSync(options.stateDir, { recursive: true });
  const unlock = lockStateDir(options.stateDir);
  try {
    return await start(options, unlock);
  } catch (e) {
    unlock();
    throw e;
  }
}

/**
 * One replica per state folder, as `dfx start` allows one per project: two would overwrite each
 * other's saves. A lock left by a process that no longer runs is taken over.
 */
function lockStateDir(dir: string): () => void {
  const file = join(dir, 'replica.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(pid) && isRunning(pid)) {
        throw new LocalNetworkError(`the state folder ${dir} is in use by another replica (process ${pid}); stop it or pick another --state-dir`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new LocalNetworkError(`cannot lock the state folder ${dir}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function start(options: LocalNetworkOptions, unlock: () => void): Promise<LocalNetwork> {
  const keys = loadOrCreateKeys(new FileKeyStore(join(options.stateDir, 'keys')));
  const store = new ReplicaStateDir(join(options.stateDir, 'replica'));
  const replicaOptions = { metering: true, log: options.log ?? (() => {}), subnetId: keys.subnetId, wasmCacheDir: join(options.stateDir, 'cache') };
  const replica = DurableReplica.open(store, replicaOptions);
  const machine = replica.machine;
  machine.dataCertifier = cachingDataCertifier(keys.rootSecretKey);
  if (options.checkpointLogBytes !== undefined) replica.checkpointLogBytes = options.checkpointLogBytes;
  replica.settle();
  const controller = controllerPrincipal(options.stateDir);
  const before = machine.changeCount();
  const canisterId = deploy(machine, options.stateDir, controller, options.wasm);
  const deployed = machine.changeCount() !== before;
  // Replica time follows the wall clock from the first request on: agents check their ingress
  // expiry against it and sync their clock only once.
  replica.advance(); // also lets the canister's start-up timers (Azle seeds its randomness) run
  replica.settle();
  // Install and upgrade are direct management calls, not in the input log: a checkpoint makes
  // them durable. One after a replay keeps the next start from replaying the same log again.
  if ((deployed || replica.logBytes > 0) && !replica.checkpoint()) {
    throw new LocalNetworkError('the canister is still busy after start-up; cannot take a checkpoint');
  }

  let http: HttpInterface;
  try {
    http = await startHttpInterface({
      replica,
      keys,
      durable: () => replica.durable(),
      ingressHistory: replica.ingress,
      port: options.port ?? 4943,
      host: options.host ?? '127.0.0.1'
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LocalNetworkError(
      code === 'EADDRINUSE'
        ? `port ${options.port ?? 4943} is in use: is another replica running? Pick another with --port.`
        : `cannot start the HTTP interface: ${(e as Error).message}`
    );
  }
  const timer = setInterval(() => {
    try {
      replica.advance();
    } catch (e) {
      options.log?.(`replica: round failed: ${(e as Error).stack ?? e}`);
    }
  }, 200);
  const text = Principal.fromUint8Array(canisterId).toText();
  const info = { url: http.url, canisterId: text, controller: Principal.fromUint8Array(controller).toText() };
  writeJsonAtomically(join(options.stateDir, NETWORK_FILE), info);
  return {
    ...info,
    bytesWritten: () => store.written.bytes,
    bytesWrittenByKind: () => ({ ...store.written.byKind }),
    checkpoint: async () => {
      replica.settle();
      replica.checkpoint();
    },
    close: async () => {
      clearInterval(timer);
      await http.close();
      replica.close();
      unlock();
    }
  };
}

/** Creates and installs the canister at first start; upgrades it when the Wasm has changed. */
function deploy(machine: StateMachine, stateDir: string, controller: PrincipalBytes, wasm: Uint8Array): PrincipalBytes {
  const file = join(stateDir, 'canister.json');
  let id: PrincipalBytes | undefined;
  if (existsSync(file)) {
    try {
      id = Principal.fromText((JSON.parse(readFileSync(file, 'utf8')) as { canisterId: string }).canisterId).toUint8Array();
    } catch (e) {
      throw new DamagedStateError(file, 'unreadable', (e as Error).message);
    }
    if (!machine.canisterExists(id)) id = undefined;
  }
  if (!id) {
    const Create = IDL.Record({ settings: IDL.Opt(IDL.Record({ controllers: IDL.Opt(IDL.Vec(IDL.Principal)) })), amount: IDL.Opt(IDL.Nat), specified_id: IDL.Opt(IDL.Principal) });
    const created = ok(
      machine.managementCall(
        controller,
        'provisional_create_canister_with_cycles',
        new Uint8Array(IDL.encode([Create], [{ settings: [{ controllers: [[Principal.fromUint8Array(controller)]] }], amount: [], specified_id: [] }]))
      ),
      'create the canister'
    );
    id = (IDL.decode([IDL.Record({ canister_id: IDL.Principal })], created)[0] as unknown as { canister_id: Principal }).canister_id.toUint8Array();
  }
  const installed = machine.moduleHash(id);
  if (!installed || !bytesEqual(installed, sha256(wasm))) {
    const Install = IDL.Record({
      mode: IDL.Variant({ install: IDL.Null, upgrade: IDL.Opt(IDL.Record({})) }),
      canister_id: IDL.Principal,
      wasm_module: IDL.Vec(IDL.Nat8),
      arg: IDL.Vec(IDL.Nat8)
    });
    const mode = installed ? { upgrade: [] } : { install: null };
    ok(
      machine.managementCall(
        controller,
        'install_code',
        new Uint8Array(IDL.encode([Install], [{ mode, canister_id: Principal.fromUint8Array(id), wasm_module: wasm, arg: new Uint8Array(IDL.encode([IDL.Opt(IDL.Null)], [[]])) }]))
      ),
      installed ? 'upgrade the canister' : 'install the canister'
    );
  }
  writeJsonAtomically(file, { canisterId: Principal.fromUint8Array(id).toText() });
  return id;
}

function ok(result: CallResult, what: string): Uint8Array {
  if (result.kind === 'reject') throw new LocalNetworkError(`could not ${what}: ${result.message}`);
  return result.bytes;
}

/** Where the local network keeps its controller's Ed25519 secret key (32 bytes), in its state folder. */
export function controllerKeyFile(stateDir: string): string {
  return join(stateDir, 'keys', 'controller_ed25519');
}

/** A stable controller identity for the local network, kept in its state folder. */
function controllerPrincipal(stateDir: string): PrincipalBytes {
  const file = controllerKeyFile(stateDir);
  let secret: Uint8Array;
  if (existsSync(file)) {
    secret = new Uint8Array(readFileSync(file));
    if (secret.length !== 32) throw new DamagedStateError(file, 'truncated', `${secret.length} bytes where an Ed25519 secret has 32`);
  } else {
    secret = ed25519.utils.randomSecretKey();
    mkdirSync(join(stateDir, 'keys'), { recursive: true });
    writeFileSync(file, secret, { mode: 0o600 });
  }
  const der = new Uint8Array([...Buffer.from('302a300506032b6570032100', 'hex'), ...ed25519.getPublicKey(secret)]);
  return selfAuthenticating(der);
}

function writeJsonAtomically(path: string, value: unknown): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(value, null, 2) + '\n');
  renameSync(`${path}.tmp`, path);
}
