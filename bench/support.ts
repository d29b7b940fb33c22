// Shared benchmark plumbing: an in-process embedded replica behind its PocketIC REST server, so a
// benchmark drives it through unmodified pic-js and can still read the replica's own metrics.
import { createIdentity, PocketIc, PocketIcServer, type ActorInterface } from '@dfinity/pic';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from 'node:crypto';
import type { HttpAgent } from '@icp-sdk/core/agent';
import type { IDL } from '@icp-sdk/core/candid';
import { idlFactory, type IcUploadService } from '../candid/ic_upload.js';
import { certifiedActor } from '../src/cli/connect.js';
import { NativeEd25519KeyIdentity } from '../src/cli/identity.js';
import { localFetch } from '../src/client/node/local_fetch.js';
import { verifiedAgent } from '../src/client/verified_subnet_keys.js';
import { PocketIcRestServer } from '../src/replica/pocketic/server.js';
import type { Canister } from '../src/replica/canister.js';
import type { StateMachine } from '../src/replica/state_machine.js';
import { principalKey } from '../src/replica/principal.js';
import type { Principal } from '@icp-sdk/core/principal';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface BenchReplica {
  pic: PocketIc;
  machine: StateMachine;
  canister(id: Principal): Canister;
  close(): Promise<void>;
}

export async function startReplica(metering = true): Promise<BenchReplica> {
  const server = new PocketIcRestServer({ metering });
  const port = await server.listen();
  const pic = await PocketIc.create(`http://127.0.0.1:${port}`, { processingTimeoutMs: 600_000 });
  const machine = server.machine(0)!;
  return {
    pic,
    machine,
    canister: (id) => machine.allCanisters().find((c) => principalKey(c.id) === principalKey(id.toUint8Array()))!,
    close: async () => {
      await pic.tearDown();
      await server.close();
    }
  };
}

/**
 * The embedded replica in its own process, spawned by pic-js as a PocketIC binary, as the tests
 * run it: client work (reading, hashing, JSON) overlaps canister execution as it would with any
 * replica. Wall-time comparisons use this one.
 */
/**
 * ic_upload installed fresh on `replica` and one upload begun in it by `user`: `chunkCount`
 * random chunks of `chunkSize` bytes, the whole file's digest given, public if asked.
 */
export async function beginRandomUpload(
  replica: BenchReplica,
  opts: { user: string; assetId: string; chunkCount: number; chunkSize: number; isPublic: boolean },
  /** An ic_upload canister set up by an earlier call, to begin another upload in; else a fresh one. */
  existing?: ActorInterface<IcUploadService>
): Promise<{ actor: ActorInterface<IcUploadService>; uploadId: bigint; chunks: Uint8Array[] }> {
  let actor = existing;
  if (actor === undefined) {
    const fresh = (await replica.pic.setupCanister<IcUploadService>({ idlFactory, wasm: '.azle/ic_upload/ic_upload.wasm', arg: new Uint8Array(0) })).actor;
    fresh.setIdentity(createIdentity(opts.user));
    await replica.pic.tick(2); // Azle's start-up timer
    actor = fresh;
  }
  const chunks = Array.from({ length: opts.chunkCount }, () => new Uint8Array(randomBytes(opts.chunkSize)));
  const all = new Uint8Array(opts.chunkSize * chunks.length);
  chunks.forEach((c, i) => all.set(c, i * opts.chunkSize));
  const begun = await actor.begin({
    asset_id: opts.assetId, variant: 'original', file_name: opts.assetId, content_type: 'application/octet-stream',
    size: BigInt(all.length), chunk_size: opts.chunkSize, sha256: [sha256(all)], idempotency_key: [], public: opts.isPublic ? [true] : []
  });
  if (!('Ok' in begun)) throw new Error(`bench begin failed: ${Object.keys(begun.Err)[0]}`);
  return { actor, uploadId: begun.Ok.upload_id, chunks };
}

export async function startExternalReplica(): Promise<{ pic: PocketIc; close(): Promise<void> }> {
  // An hour's ttl: the default 60 idle seconds end it while the other side of a comparison runs.
  const server = await PocketIcServer.start({ binPath: 'scripts/pocket-ic', ttl: 3600 });
  const pic = await PocketIc.create(server.getUrl(), { processingTimeoutMs: 600_000 });
  return {
    pic,
    close: async () => {
      await pic.tearDown();
      await server.stop();
    }
  };
}

/**
 * The local network as users run it, `ic-upload replica` in its own process (the counterpart of
 * startExternalReplica): client work overlaps the replica's on another core. Its working folder
 * and per-user state are `home`, so no file of the user's is touched.
 */
export async function startLocalNetworkProcess(stateDir: string, home: string): Promise<{ url: string; canisterId: string; close(): Promise<void> }> {
  const bin = fileURLToPath(new URL('../bin/ic-upload.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'replica', '--state-dir', stateDir, '--port', '0', '--json'], {
    cwd: home,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, IC_UPLOAD_STATE_DIR: home }
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const info = await new Promise<{ url: string; canisterId: string }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line && out.includes('\n')) resolve(JSON.parse(line) as { url: string; canisterId: string });
    });
    child.once('exit', (code) => reject(new Error(`ic-upload replica exited (${code}): ${stderr}`)));
  });
  return {
    ...info,
    close: async () => {
      child.kill('SIGINT');
      await exited;
    }
  };
}

/**
 * An actor on the local network at `url` as the CLI makes one (a new Ed25519 identity, the
 * root key fetched once, every certificate verified, requests over node:http), and its agent
 * for more actors.
 */
export async function localActor<T>(url: string, canisterId: string, idl: IDL.InterfaceFactory = idlFactory): Promise<{ agent: HttpAgent; actor: T }> {
  const identity = NativeEd25519KeyIdentity.fromSecretKey(new Uint8Array(randomBytes(32)));
  const agent = await verifiedAgent({ host: url, identity, shouldFetchRootKey: true, fetch: localFetch() });
  return { agent, actor: certifiedActor<T>(agent, canisterId, idl) as T };
}

/** The median; of an even count, the mean of the middle two (not the upper one). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function table(rows: Array<Record<string, string | number>>): string {
  const keys = Object.keys(rows[0] ?? {});
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [line(keys), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(keys.map((k) => String(r[k]))))].join('\n');
}
