// Issue 4's and 5's figures over the IC HTTP interface, as a frontend or the CLI sees them: the
// client library on an unmodified agent-js HttpAgent (certificates verified) against the local
// network (`ic-upload replica`, persistence on), for one 21 MB file and for 100 small files.
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idlFactory, type IcUploadService } from '../candid/ic_upload.js';
import { Uploader, downloadAsset, fileSource } from '../src/client/node/index.js';
import { startLocalNetwork } from '../src/replica/local_network.js';
import { fmt } from './support.js';

const MB21 = 21 * 1024 * 1024;
const MB100 = 100 * 1024 * 1024;

export async function httpBench() {
  const dir = mkdtempSync(join(tmpdir(), 'icu-bench-http-'));
  const network = await startLocalNetwork({
    stateDir: join(dir, 'state'),
    wasm: new Uint8Array(readFileSync('.azle/ic_upload/ic_upload.wasm')),
    port: 0
  });
  try {
    const agent = await HttpAgent.create({ host: network.url, identity: Ed25519KeyIdentity.generate(), shouldFetchRootKey: true });
    const actor = Actor.createActor<IcUploadService>(idlFactory, { agent, canisterId: network.canisterId });
    const big = join(dir, 'big.bin');
    writeFileSync(big, randomBytes(MB21));
    let t = performance.now();
    let written = network.bytesWritten();
    await new Uploader({ actor }).upload({ source: await fileSource(big) });
    const bigSeconds = (performance.now() - t) / 1000;
    const bigWritten = network.bytesWritten() - written;
    t = performance.now();
    await downloadAsset(actor, 'big.bin');
    const downloadSeconds = (performance.now() - t) / 1000;
    const small = Array.from({ length: 100 }, (_, i) => {
      const path = join(dir, `s${i}.bin`);
      writeFileSync(path, randomBytes(10_000));
      return path;
    });
    t = performance.now();
    const outcomes = await new Uploader({ actor, concurrency: { files: 8 } }).uploadAll(
      await Promise.all(small.map(async (p) => ({ source: await fileSource(p) })))
    );
    const smallSeconds = (performance.now() - t) / 1000;
    if (outcomes.some((o) => o.status !== 'finished')) throw new Error('bench: a small file failed');
    // Bytes written to the state folder over a 100 MB upload, the checkpoint after it included.
    const huge = join(dir, 'huge.bin');
    writeFileSync(huge, randomBytes(MB100));
    written = network.bytesWritten();
    await new Uploader({ actor }).upload({ source: await fileSource(huge) });
    await network.checkpoint();
    const perByte = (network.bytesWritten() - written) / MB100;
    return {
      rows: [
        { what: '21 MB upload over HTTP (agent-js, certificates verified, state saved)', value: `${fmt(bigSeconds, 1)} s = ${fmt(MB21 / 1e6 / bigSeconds, 2)} MB/s` },
        { what: '  bytes written to the state folder during it', value: `${fmt(bigWritten / 1e6, 1)} MB = ${fmt(bigWritten / MB21, 2)} per uploaded byte` },
        { what: 'bytes written per uploaded byte, 100 MB upload + checkpoint (target ≤ 3)', value: fmt(perByte, 2) },
        { what: '21 MB download over HTTP (verified)', value: `${fmt(downloadSeconds, 1)} s = ${fmt(MB21 / 1e6 / downloadSeconds, 1)} MB/s` },
        { what: '100 small files (10 KB) over HTTP, 8 at a time', value: `${fmt(smallSeconds, 1)} s = ${fmt(100 / smallSeconds, 1)} files/s` }
      ],
      json: { upload_21mb_seconds: bigSeconds, upload_21mb_bytes_written: bigWritten, download_21mb_seconds: downloadSeconds, small_files_100_seconds: smallSeconds, bytes_written_per_uploaded_byte_100mb: perByte }
    };
  } finally {
    await network.close();
  }
}
