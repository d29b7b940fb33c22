// What the browser tests stand on: the local network (the real canister on the embedded replica
// behind the IC HTTP interface), the built app served by a small static server on another origin
// (so CORS is exercised as a browser meets it), a proxy in front of the replica that counts the
// put_chunk calls the browser really sends, and headless Chromium.
import chromium from '@sparticuz/chromium';
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { decode } from 'cborg';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { idlFactory, type IcUploadService } from '../../candid/ic_upload.js';
import { startLocalNetwork, type LocalNetwork } from '../../src/replica/local_network.js';
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

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };

/** Serves the built app's files: `/` is index.html, as the canister serves it. */
async function staticServer(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const name = path === '/' ? 'index.html' : path.slice(1);
    try {
      const body = readFileSync(join(dir, name.replaceAll('..', '')));
      res.writeHead(200, { 'content-type': TYPES[extname(name)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  const url = await listen(server);
  return { url, close: () => close(server) };
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

/** Forwards everything to the replica unchanged, recording each put_chunk call it passes on. */
async function countingProxy(target: string): Promise<{ url: string; puts: PutChunkRecord[]; close(): Promise<void> }> {
  const puts: PutChunkRecord[] = [];
  const upstream = new URL(target);
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
          }
        } catch {
          // not a call envelope: forwarded as it is
        }
      }
      const forward = request(
        { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host } },
        (up) => {
          if (record && up.statusCode === 200) record.answered = true;
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        }
      );
      forward.on('error', (e) => res.writeHead(502).end(String(e)));
      forward.end(body);
    });
  });
  const url = await listen(server);
  return { url, puts, close: () => close(server) };
}

export interface AppStack {
  network: LocalNetwork;
  /** The IC HTTP interface as the browser reaches it (through the counting proxy). */
  apiUrl: string;
  puts: PutChunkRecord[];
  /** The app's address for this network. */
  appUrl: string;
  /** The canister's controller: may read every asset and the canister's stats. */
  controller: IcUploadService;
  close(): Promise<void>;
}

export async function startAppStack(): Promise<AppStack> {
  const dir = mkdtempSync(join(tmpdir(), 'icu-browser-'));
  const network = await startLocalNetwork({ stateDir: join(dir, 'state'), wasm: new Uint8Array(readFileSync(WASM_PATH)), port: 0 });
  const { dir: appDir } = (await buildApp()) as { dir: string };
  const app = await staticServer(appDir);
  const proxy = await countingProxy(network.url);
  const appUrl = `${app.url}/?canisterId=${network.canisterId}&host=${encodeURIComponent(proxy.url)}`;
  const identity = Ed25519KeyIdentity.fromSecretKey(new Uint8Array(readFileSync(join(dir, 'state', 'keys', 'controller_ed25519'))));
  const agent = await HttpAgent.create({ host: network.url, identity, shouldFetchRootKey: true });
  const controller = Actor.createActor<IcUploadService>(idlFactory, { agent, canisterId: network.canisterId });
  return {
    network,
    apiUrl: proxy.url,
    puts: proxy.puts,
    appUrl,
    controller,
    close: async () => {
      await Promise.all([app.close(), proxy.close()]);
      await network.close();
    }
  };
}
