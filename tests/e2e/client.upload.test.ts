// The client library against the real ic_upload canister on the embedded replica, through pic-js
// actors: the same Uploader an app uses, with only the actor swapped.
import { sha256 } from '@noble/hashes/sha2.js';
import { createIdentity, PocketIc } from '@dfinity/pic';
import { TransportError, HttpFetchErrorCode } from '@icp-sdk/core/agent';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { idlFactory, type IcUploadService } from '../../candid/ic_upload.js';
import {
  downloadAsset,
  fileSource,
  MemoryJournal,
  memorySource,
  ServiceError,
  sharpDeriver,
  UploadAbortedError,
  Uploader,
  type ProgressEvent
} from '../../src/client/node/index.js';
import { dimensions, landscapeJpeg, portraitPng } from '../fixtures/images.js';
import { withFaults } from '../support/fake_upload_service.js';
import { bytes, monotonicViolations } from '../unit/client/helpers.js';

const WASM = '.azle/ic_upload/ic_upload.wasm';
const CHUNK = 64 * 1024;

let pic: PocketIc;
let alice: IcUploadService;
let bob: IcUploadService;

/** Counts calls per method on the way through. */
function counting(actor: IcUploadService) {
  const counts = new Map<string, number>();
  const wrapped = withFaults(actor, (method) => {
    counts.set(method, (counts.get(method) ?? 0) + 1);
    return undefined;
  });
  return { actor: wrapped, count: (m: string) => counts.get(m) ?? 0 };
}

beforeAll(async () => {
  pic = await PocketIc.create(inject('PIC_URL'));
  const fixture = await pic.setupCanister<IcUploadService>({ idlFactory, wasm: WASM });
  fixture.actor.setIdentity(createIdentity('alice'));
  alice = fixture.actor as unknown as IcUploadService;
  const other = pic.createActor<IcUploadService>(idlFactory, fixture.canisterId);
  other.setIdentity(createIdentity('bob'));
  bob = other as unknown as IcUploadService;
});

afterAll(async () => {
  await pic?.tearDown();
});

describe('client on the canister', () => {
  it('uploads a 21 MB file with the default 1.9 MB chunks (under the ingress limit) and reads it back', async () => {
    const data = bytes(21_000_000, 21);
    const events: ProgressEvent[] = [];
    const variants = await new Uploader({ actor: alice }).upload({ source: memorySource(data, 'big.bin') }, { onProgress: (e) => events.push(e) });
    expect(variants.original!.chunk_size).toBe(1_900_000);
    expect(variants.original!.chunk_count).toBe(12);
    expect(Uint8Array.from(variants.original!.sha256)).toEqual(sha256(data));
    expect(monotonicViolations(events)).toEqual([]);
    // Compare as digest + Buffer.compare: vitest's deep equality on 21 M elements costs gigabytes.
    const back = (await downloadAsset(alice, 'big.bin')).bytes;
    expect(back.length).toBe(data.length);
    expect(Buffer.compare(back, data)).toBe(0);
  });

  it('uploads many files with a small concurrency limit and reads each back byte for byte', async () => {
    const sizes = [1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5, 200_000, 17, 90_001];
    const files = sizes.map((size, i) => ({ data: bytes(size, 100 + i), name: `many/${i}.bin` }));
    const uploader = new Uploader({ actor: alice, chunkSize: CHUNK, concurrency: { files: 2, chunks: 2 } });
    const outcomes = await uploader.uploadAll(files.map((f) => ({ source: memorySource(f.data, f.name) })));
    expect(outcomes.map((o) => o.status)).toEqual(sizes.map(() => 'finished'));
    for (const f of files) {
      const { bytes: got, blob } = await downloadAsset(alice, f.name);
      expect(got).toEqual(f.data);
      expect(Uint8Array.from(blob.sha256)).toEqual(sha256(f.data));
    }
  });

  it('recovers from injected transient failures with the same digest', async () => {
    const data = bytes(5 * CHUNK + 123, 7);
    const digests = new Set<string>();
    const actor = withFaults(alice, (method, n, args) => {
      if (method === 'finish') digests.add(Buffer.from((args[0] as { sha256: [Uint8Array] }).sha256[0]).toString('hex'));
      const fail = (method === 'put_chunk' && (n === 1 || n === 4)) || (method === 'finish' && n === 1);
      return fail ? TransportError.fromCode(new HttpFetchErrorCode(new TypeError('fetch failed'))) : undefined;
    });
    const uploader = new Uploader({ actor, chunkSize: CHUNK, retry: { initialDelayMs: 1 } });
    const variants = await uploader.upload({ source: memorySource(data, 'flaky.bin') });
    expect(Uint8Array.from(variants.original!.sha256)).toEqual(sha256(data));
    expect([...digests]).toEqual([Buffer.from(sha256(data)).toString('hex')]);
    expect((await downloadAsset(alice, 'flaky.bin')).bytes).toEqual(data);
  });

  it('resumes an interrupted upload from the journal, sending only the missing chunks', async () => {
    const data = bytes(8 * CHUNK + 999, 8);
    const journal = new MemoryJournal();
    const source = () => memorySource(data, 'resume.bin', 'application/octet-stream', 42);
    const dying = withFaults(alice, (m, n) => (m === 'put_chunk' && n === 4 ? new Error('process killed') : undefined));
    await expect(new Uploader({ actor: dying, journal, chunkSize: CHUNK, concurrency: { chunks: 1 } }).upload({ source: source() })).rejects.toThrow(
      'process killed'
    );
    const [, entry] = (await journal.entries())[0]!;
    const before = await alice.upload_status(BigInt(entry.uploadId!));
    expect('Ok' in before && Array.from(before.Ok.received)).toEqual([0, 1, 2]);
    const second = counting(alice);
    const variants = await new Uploader({ actor: second.actor, journal, chunkSize: CHUNK }).upload({ source: source() });
    expect(second.count('begin')).toBe(0);
    expect(second.count('put_chunk')).toBe(9 - 3);
    expect(Uint8Array.from(variants.original!.sha256)).toEqual(sha256(data));
    expect((await downloadAsset(alice, 'resume.bin')).bytes).toEqual(data);
  });

  it('abort stops sending and frees the upload on the canister', async () => {
    const controller = new AbortController();
    let uploadId: bigint | undefined;
    const uploader = new Uploader({ actor: alice, chunkSize: CHUNK, concurrency: { chunks: 1 } });
    const [outcome] = await uploader.uploadAll([{ source: memorySource(bytes(10 * CHUNK, 9), 'aborted.bin') }], {
      signal: controller.signal,
      onState: (_k, s) => {
        if (s.kind === 'reading') uploadId = s.uploadId;
      },
      onProgress: (e) => {
        if (e.file.bytesAcknowledged >= 2 * CHUNK) controller.abort();
      }
    });
    expect(outcome!.status).toBe('aborted');
    expect((outcome as { error: unknown }).error).toBeInstanceOf(UploadAbortedError);
    const status = await alice.upload_status(uploadId!);
    // An aborted upload is either reported Aborted or already forgotten.
    if ('Ok' in status) expect(status.Ok.state).toEqual({ Aborted: null });
    else expect(Object.keys(status.Err)).toEqual(['NotFound']);
    expect((await alice.my_uploads()).filter((u) => 'Open' in u.state)).toEqual([]);
    expect('Err' in (await alice.get_asset('aborted.bin'))).toBe(true);
  });

  it('reports monotonic progress ending at the file size', async () => {
    const events: ProgressEvent[] = [];
    const size = 6 * CHUNK + 77;
    const uploader = new Uploader({ actor: alice, chunkSize: CHUNK, concurrency: { chunks: 4 } });
    await uploader.upload({ source: memorySource(bytes(size, 10), 'progress.bin') }, { onProgress: (e) => events.push(e) });
    expect(monotonicViolations(events)).toEqual([]);
    const last = events.at(-1)!;
    expect([last.file.bytesRead, last.file.bytesAcknowledged, last.file.bytesHashed, last.file.state]).toEqual([size, size, size, 'finished']);
    // The canister's hash frontier was reported while chunks were still going.
    expect(events.some((e) => e.file.state === 'reading' && e.file.bytesHashed > 0)).toBe(true);
  });

  it('stops at a permanent error with a typed error naming the file', async () => {
    const error = await new Uploader({ actor: bob, chunkSize: CHUNK })
      .upload({ source: memorySource(bytes(10, 1), 'theirs.bin'), assetId: 'progress.bin' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).code).toBe('Forbidden');
    expect((error as ServiceError).fileName).toBe('theirs.bin');
  });

  it('uploads derivatives of a real JPEG and PNG beside the original, at the right sizes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ic-upload-e2e-'));
    const [jpeg, png] = await Promise.all([landscapeJpeg(), portraitPng()]);
    await writeFile(join(dir, 'land.jpg'), jpeg);
    await writeFile(join(dir, 'port.png'), png);
    const uploader = new Uploader({ actor: alice, deriver: sharpDeriver, chunkSize: CHUNK });
    const outcomes = await uploader.uploadAll([
      { source: await fileSource(join(dir, 'land.jpg')), assetId: 'img/land' },
      { source: await fileSource(join(dir, 'port.png')), assetId: 'img/port' }
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['finished', 'finished']);
    const asset = await alice.get_asset('img/land');
    expect('Ok' in asset && asset.Ok.variants.map(([v]) => v).sort()).toEqual(['display', 'original', 'placeholder', 'thumb']);
    const want: Record<string, Record<string, [number, number]>> = {
      'img/land': { display: [1600, 800], thumb: [320, 160], placeholder: [32, 16] },
      'img/port': { display: [500, 800], thumb: [200, 320], placeholder: [20, 32] }
    };
    for (const [id, variants] of Object.entries(want)) {
      for (const [variant, [width, height]] of Object.entries(variants)) {
        const { bytes: got } = await downloadAsset(alice, id, variant);
        expect(await dimensions(got)).toEqual({ width, height, format: 'webp' });
      }
    }
    expect((await downloadAsset(alice, 'img/land')).bytes).toEqual(jpeg);
  });
});
