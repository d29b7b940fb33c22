// What the browser tests stand on: the local network (the real canister on the embedded replica
// behind the IC HTTP interface and its verifying gateway), the built app deployed into the
// canister and opened from the gateway, a proxy in front of the replica's port that counts the
// put_chunk calls the browser really sends (and can hold them back, or close the port), and
// headless Chromium.
import chromium from '@sparticuz/chromium';
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { decode } from 'cborg';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { idlFactory, type IcUploadService } from '../../candid/ic_upload.js';
import { appUrl, deployApp } from '../../src/cli/commands/deploy_app.js';
import { controllerKeyFile, startLocalNetwork, type LocalNetwork } from '../../src/replica/local_network.js';
// @ts-expect-error -- a plain .mjs build script without type declarations
import { buildApp } from '../../scripts/build-app.mjs';

export const WASM_PATH = '.azle/ic_upload/ic_upload.wasm';

/** Flags for a closed network: no sandbox (root in a container), nothing phoning home. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage'
];

export async function launchBrowser(): Promise<Browser> {
  const executablePath = process.env.CHROME_PATH || (await chromium.executablePath());
  return puppeteer.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS, protocolTimeout: 240_000 });
}

async function listen(server: Server, port = 0): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => (server.off('error', reject), resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The self-describe tag (55799) agent-js puts in front of every request. */
const CBOR_TAGS: Array<(inner: () => unknown) => unknown> = [];
CBOR_TAGS[55799] = (inner) => inner();

const PutChunkArgs = IDL.Record({ upload_id: IDL.Nat64, index: IDL.Nat32, bytes: IDL.Vec(IDL.Nat8) });

export interface PutChunkRecord {
  uploadId: bigint;
  index: number;
  size: number;
  /** The replica answered it (200): the chunk is stored, whether or not the browser heard. */
  answered: boolean;
}

interface CountingProxy {
  url: string;
  puts: PutChunkRecord[];
  /**
   * Passes on the next `count` put_chunk calls and holds back every later one, unanswered and
   * never delivered, as a slow link would; `release` drops what it held (their pages are gone).
   */
  holdPutChunksAfter(count: number): { release(): void };
  /** Closes the port (a browser meets "connection refused"), or opens it again on the same port. */
  setReachable(reachable: boolean): Promise<void>;
  close(): Promise<void>;
}

/**
 * Forwards everything to the replica's port unchanged, the Host header included (so the gateway
 * still sees `<canister-id>.localhost`), recording each put_chunk call it passes on.
 */
async function countingProxy(target: string): Promise<CountingProxy> {
  const puts: PutChunkRecord[] = [];
  const upstream = new URL(target);
  let passes = Infinity;
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let record: PutChunkRecord | undefined;
      if (req.method === 'POST' && /\/call$/.test(req.url ?? '')) {
        try {
          const envelope = decode(body, { tags: CBOR_TAGS as never }) as { content: { method_name: string; arg: Uint8Array } };
          if (envelope.content.method_name === 'put_chunk') {
            const [args] = IDL.decode([PutChunkArgs], envelope.content.arg) as unknown as [{ upload_id: bigint; index: number; bytes: Uint8Array }];
            record = { uploadId: args.upload_id, index: args.index, size: args.bytes.length, answered: false };
            puts.push(record);
            if (passes-- <= 0) return void held.push(res);
          }
        } catch {
          // not a call envelope: forwarded as it is
        }
      }
      const forward = request({ hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        if (record && up.statusCode === 200) record.answered = true;
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      forward.on('error', (e) => res.writeHead(502).end(String(e)));
      forward.end(body);
    });
  });
  const url = await listen(server);
  const port = Number(new URL(url).port);
  let reachable = true;
  return {
    url,
    puts,
    holdPutChunksAfter: (count) => {
      passes = count;
      return {
        release: () => {
          passes = Infinity;
          for (const res of held.splice(0)) res.destroy();
        }
      };
    },
    setReachable: async (wanted) => {
      if (wanted === reachable) return;
      reachable = wanted;
      if (wanted) await listen(server, port);
      else await close(server);
    },
    close: () => (reachable ? close(server) : Promise.resolve())
  };
}

export interface AppStack {
  network: LocalNetwork;
  canisterId: string;
  /** The replica's port as the browser reaches it (through the counting proxy): IC HTTP interface and gateway. */
  networkUrl: string;
  puts: PutChunkRecord[];
  /** The app's address, served by the canister through the gateway: `http://<canister-id>.localhost:<port>/`. */
  appUrl: string;
  /** The canister's controller: may read every asset and the canister's stats. */
  controller: IcUploadService;
  holdPutChunksAfter(count: number): { release(): void };
  setReachable(reachable: boolean): Promise<void>;
  close(): Promise<void>;
}

/**
 * A local network with the built app deployed into its canister as `npm start` deploys it (by
 * the controller, as public assets), and the app's address on the gateway.
 */
export async function startAppStack(): Promise<AppStack> {
  const dir = mkdtempSync(join(tmpdir(), 'icu-browser-'));
  const stateDir = join(dir, 'state');
  const [network, built] = await Promise.all([
    startLocalNetwork({ stateDir, wasm: new Uint8Array(readFileSync(WASM_PATH)), port: 0 }),
    buildApp() as Promise<{ dir: string }>
  ]);
  const identity = Ed25519KeyIdentity.fromSecretKey(new Uint8Array(readFileSync(controllerKeyFile(stateDir))));
  const agent = await HttpAgent.create({ host: network.url, identity, shouldFetchRootKey: true });
  const controller = Actor.createActor<IcUploadService>(idlFactory, { agent, canisterId: network.canisterId });
  await deployApp(controller, built.dir);
  const proxy = await countingProxy(network.url);
  return {
    network,
    canisterId: network.canisterId,
    networkUrl: proxy.url,
    puts: proxy.puts,
    appUrl: appUrl(proxy.url, network.canisterId),
    controller,
    holdPutChunksAfter: proxy.holdPutChunksAfter,
    setReachable: proxy.setReachable,
    close: async () => {
      await proxy.close();
      await network.close();
    }
  };
}
