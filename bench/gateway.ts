// Certified HTTP serving's figures: a 50 MB public file downloaded through the local network's
// gateway (every 206 piece verified with @dfinity/response-verification before it goes out), the
// instructions of http_request for a small file and for one 1.9 MB piece, and of one
// certification tree update (set_public changing visibility). The canister is upload_seeded:
// ic_upload itself plus measuring methods.
import { IDL, type IDL as CandidIDLNs } from '@icp-sdk/core/candid';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpRequest, IcUploadService } from '../candid/ic_upload.js';
import { certifiedActor } from '../src/cli/connect.js';
import { memorySource, Uploader } from '../src/client/index.js';
import { startLocalNetwork } from '../src/replica/local_network.js';
import { seededMethods, type SeededService } from '../tests/canisters/upload_seeded/interface.js';
import { fmt, localActor } from './support.js';

const MB50 = 50 * 1024 * 1024;
const CHUNK = 1_900_000;

const measuringIdl: IDL.InterfaceFactory = ({ IDL }) => IDL.Service(seededMethods(IDL as unknown as typeof CandidIDLNs));

const get = (url: string, headers: [string, string][] = []): HttpRequest => ({ method: 'GET', url, headers, body: new Uint8Array(0), certificate_version: [2] });

export async function gatewayBench() {
  const dir = mkdtempSync(join(tmpdir(), 'icu-bench-gateway-'));
  const network = await startLocalNetwork({
    stateDir: join(dir, 'state'),
    wasm: new Uint8Array(readFileSync('.azle/upload_seeded/upload_seeded.wasm')),
    port: 0
  });
  try {
    const { agent, actor } = await localActor<IcUploadService>(network.url, network.canisterId);
    const measuring = certifiedActor<SeededService>(agent, network.canisterId, measuringIdl);
    const uploader = new Uploader({ actor, chunkSize: CHUNK });
    const big = new Uint8Array(randomBytes(MB50));
    await uploader.upload({ source: memorySource(big, 'big.bin'), assetId: 'big.bin', public: true });
    await uploader.upload({ source: memorySource(new Uint8Array(randomBytes(10_240)), 'small.txt', 'text/plain'), assetId: 'small.txt', public: true });
    // Served once the timers have computed each chunk's digest.
    let t = performance.now();
    while ((await actor.http_request(get('/big.bin'))).status_code !== 206) await new Promise((r) => setTimeout(r, 200));
    const digestSeconds = (performance.now() - t) / 1000;

    t = performance.now();
    const res = await fetch(`${network.url}/big.bin?canisterId=${network.canisterId}`);
    const body = new Uint8Array(await res.arrayBuffer());
    const downloadSeconds = (performance.now() - t) / 1000;
    if (res.status !== 200 || Buffer.compare(Buffer.from(sha256(body)), Buffer.from(sha256(big))) !== 0) throw new Error('bench: the 50 MB download differs');

    const smallRequest = await measuring.http_request_instructions(get('/small.txt'));
    const pieceRequest = await measuring.http_request_instructions(get('/big.bin', [['range', `bytes=${CHUNK}-`]]));
    const hide = await measuring.set_public_instructions('small.txt', false);
    const show = await measuring.set_public_instructions('small.txt', true);
    const hideBig = await measuring.set_public_instructions('big.bin', false);
    t = performance.now();
    const showBig = await measuring.set_public_instructions('big.bin', true);
    while ((await actor.http_request(get('/big.bin'))).status_code !== 206) await new Promise((r) => setTimeout(r, 100));
    const certifySeconds = (performance.now() - t) / 1000;
    return {
      rows: [
        { what: '50 MB public file through the gateway (28 verified 206 pieces, local)', value: `${fmt(downloadSeconds, 1)} s = ${fmt(MB50 / 1e6 / downloadSeconds, 1)} MB/s` },
        { what: 'the 50 MB file, finish to served (digests written at upload; staging in timers)', value: `${fmt(digestSeconds, 1)} s` },
        { what: 'http_request, 10 KB file', value: `${smallRequest.toLocaleString('en-US')} instructions` },
        { what: 'http_request, one 1.9 MB piece', value: `${pieceRequest.toLocaleString('en-US')} instructions` },
        { what: 'set_public on a 10 KB asset: tree update (remove / insert)', value: `${hide.toLocaleString('en-US')} / ${show.toLocaleString('en-US')} instructions` },
        { what: 'set_public on the 50 MB asset (28 pieces): remove / insert (the message; timers stage the rest)', value: `${hideBig.toLocaleString('en-US')} / ${showBig.toLocaleString('en-US')} instructions` },
        { what: 'the 50 MB asset: set_public on to served again (local)', value: `${fmt(certifySeconds, 1)} s` }
      ],
      json: {
        download_50mb_seconds: downloadSeconds,
        digests_50mb_seconds: digestSeconds,
        http_request_small_instructions: Number(smallRequest),
        http_request_piece_instructions: Number(pieceRequest),
        tree_update_small_instructions: [Number(hide), Number(show)],
        tree_update_50mb_instructions: [Number(hideBig), Number(showBig)],
        certify_50mb_seconds: certifySeconds
      }
    };
  } finally {
    await network.close();
  }
}
