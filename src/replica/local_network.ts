// A persistent local network, like `dfx start` + `dfx deploy`: the embedded replica behind the
// IC HTTP interface, its state in a folder, time following the wall clock, and the ic_upload
// canister installed once (upgraded when its Wasm changes). A restart resumes with the same
// canister id, data and root key.
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { ed25519 } from '@noble/curves/ed25519.js';
import { existsSync, readFileSync, writeFileSync, renameSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { FileKeyStore, loadOrCreateKeys } from './http/keys.js';
import { cachingDataCertifier } from './gateway/data_certificate.js';
import { startHttpInterface, type HttpInterface } from './http/server.js';
import { ReplicaStateDir } from './persistence.js';
import { StateMachine } from './state_machine.js';
import { bytesEqual, selfAuthenticating } from './principal.js';
import type { CallResult, CanisterCall, IngressStatus, PrincipalBytes, ReplicaInstance } from './types.js';

export interface LocalNetworkOptions {
  stateDir: string;
  /** The canister Wasm to run (installed at first start, upgraded when it changes). */
  wasm: Uint8Array;
  port?: number;
  host?: string;
  /** Canister debug_print lines. */
  log?: (line: string) => void;
}

export interface LocalNetwork {
  url: string;
  canisterId: string;
  /** The principal that controls the canister (a key kept in the state folder). */
  controller: string;
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

/**
 * The replica as the HTTP interface drives it, saving the state folder after every change and
 * before the HTTP response goes out, so a finished upload is on disk once its caller hears of it.
 */
class PersistentReplica implements ReplicaInstance {
  private savedAt = -1;
  private commit: Promise<void> | undefined;

  constructor(
    readonly machine: StateMachine,
    private readonly store: ReplicaStateDir
  ) {}

  persist(): void {
    // Only a state with nothing in flight is saved (call contexts are not persisted): finish
    // what is under way first; a canister calling itself forever gets no save until it stops.
    for (let i = 0; i < 10 && !this.machine.isQuiescent(); i++) this.machine.tick();
    const count = this.machine.changeCount();
    if (count === this.savedAt || !this.machine.isQuiescent()) return;
    this.store.save(this.machine);
    this.savedAt = count;
  }

  /**
   * Group commit: calls that complete in the same turn of the event loop (the HTTP requests
   * already waiting are handled before `setImmediate` callbacks run) share one save.
   */
  durable(): Promise<void> {
    this.commit ??= new Promise<void>((resolve, reject) =>
      setImmediate(() => {
        this.commit = undefined;
        try {
          this.persist();
          resolve();
        } catch (e) {
          reject(e);
        }
      })
    );
    return this.commit;
  }

  /** Follows the wall clock and runs a round: timers and asynchronously submitted calls. */
  advance(): void {
    const wall = BigInt(Date.now()) * 1_000_000n;
    if (wall > this.machine.time()) this.machine.setTime(wall);
    this.machine.tick();
    this.persist();
  }

  time = () => this.machine.time();
  setTime = (n: bigint) => this.machine.setTime(n);
  submitIngress = (call: CanisterCall, id?: Uint8Array) => this.machine.submitIngress(call, id);
  awaitIngress = (id: Uint8Array): CallResult => this.machine.awaitIngress(id);
  ingressStatus = (id: Uint8Array): IngressStatus | undefined => this.machine.ingressStatus(id);
  query = (call: CanisterCall) => this.machine.query(call);
  tick = () => {
    this.machine.tick();
    this.persist();
  };
  canisterExists = (id: PrincipalBytes) => this.machine.canisterExists(id);
  controllers = (id: PrincipalBytes) => this.machine.controllers(id);
  moduleHash = (id: PrincipalBytes) => this.machine.moduleHash(id);
  certifiedData = (id: PrincipalBytes) => this.machine.certifiedData(id);
  cycles = (id: PrincipalBytes) => this.machine.cycles(id);
  addCycles = (id: PrincipalBytes, n: bigint) => this.machine.addCycles(id, n);
  stableMemory = (id: PrincipalBytes) => this.machine.stableMemory(id);
  setStableMemory = (id: PrincipalBytes, b: Uint8Array) => this.machine.setStableMemory(id, b);
  subnetId = () => this.machine.subnetId();
  canisterRange = () => this.machine.canisterRange();
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
  const replicaOptions = { metering: true, log: options.log ?? (() => {}), subnetId: keys.subnetId };
  const machine = store.exists ? store.load(replicaOptions) : new StateMachine(replicaOptions);
  machine.dataCertifier = cachingDataCertifier(keys.rootSecretKey);
  const controller = controllerPrincipal(options.stateDir);
  const canisterId = deploy(machine, options.stateDir, controller, options.wasm);
  const replica = new PersistentReplica(machine, store);
  // Replica time follows the wall clock from the first request on: agents check their ingress
  // expiry against it and sync their clock only once.
  replica.advance(); // also lets the canister's start-up timers (Azle seeds its randomness) run
  store.save(machine);

  let http: HttpInterface;
  try {
    http = await startHttpInterface({
      replica,
      keys,
      durable: () => replica.durable(),
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
    close: async () => {
      clearInterval(timer);
      await http.close();
      replica.persist();
      unlock();
    }
  };
}

/** Creates and installs the canister at first start; upgrades it when the Wasm has changed. */
function deploy(machine: StateMachine, stateDir: string, controller: PrincipalBytes, wasm: Uint8Array): PrincipalBytes {
  const file = join(stateDir, 'canister.json');
  let id: PrincipalBytes | undefined;
  if (existsSync(file)) {
    id = Principal.fromText((JSON.parse(readFileSync(file, 'utf8')) as { canisterId: string }).canisterId).toUint8Array();
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

/** A stable controller identity for the local network, kept in its state folder. */
function controllerPrincipal(stateDir: string): PrincipalBytes {
  const file = join(stateDir, 'keys', 'controller_ed25519');
  let secret: Uint8Array;
  if (existsSync(file)) secret = new Uint8Array(readFileSync(file));
  else {
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
