import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { expandInputs } from '../../../src/cli/commands/put.js';
import { outputPath } from '../../../src/cli/commands/get.js';
import { networkUrl, resolveConnection } from '../../../src/cli/config.js';
import { oneSentence } from '../../../src/cli/errors.js';
import { assetTable, formatBytes, formatDuration, outcomeLine } from '../../../src/cli/output.js';
import { HttpFetchErrorCode, TransportError } from '@icp-sdk/core/agent';
import { RetriesExhaustedError, ServiceError } from '../../../src/client/errors.js';
import { dimensions, portraitPng } from '../../fixtures/images.js';
import { bytes } from '../client/helpers.js';
import { ALICE, BOB, withFaults } from '../../support/fake_upload_service.js';
import { testCli } from './cli_context.js';

describe('ic-upload CLI', () => {
  it('puts files and directories, lists, gets byte for byte, shows status and removes', async () => {
    const cli = await testCli();
    const data = bytes(4_100_000, 3); // three 1.9 MB chunks
    await writeFile(join(cli.cwd, 'big.bin'), data);
    await mkdir(join(cli.cwd, 'photos', '2024'), { recursive: true });
    await writeFile(join(cli.cwd, 'photos', 'a.txt'), 'hello');
    await writeFile(join(cli.cwd, 'photos', '2024', 'p.png'), await portraitPng());

    const put = await cli.run('put', 'big.bin', 'photos', '--concurrency', '2');
    expect(put.code).toBe(0);
    expect(put.stdout).toMatch(/^uploaded big\.bin \(4\.10 MB\) sha256 [0-9a-f]{16}$/m);
    expect(put.stdout).toMatch(/^uploaded photos\/2024\/p\.png \(.+ \+ display, placeholder, thumb\)/m);
    expect(put.stdout).toMatch(/^uploaded photos\/a\.txt \(5 B\)/m);
    expect(put.stderr).toMatch(/3 of 3 uploaded/);
    // Off a TTY: a line per finished file and overall lines counting files, not variants.
    expect(put.stderr).toMatch(/^finished big\.bin 4\.10 MB$/m);
    expect(put.stderr).toMatch(/^\[\d\/3 files\] \d+% /m);
    expect(put.stderr).not.toMatch(/\/[4-9] files\]/);
    expect(cli.fake.count('put_chunk')).toBe(3 + 1 + 1 + 3);

    const ls = await cli.run('ls');
    expect(ls.stdout.split('\n')[0]).toMatch(/^ASSET\s+SIZE\s+STORED\s+VARIANTS$/);
    expect(ls.stdout).toMatch(/^photos\/2024\/p\.png\s+.*display,original,placeholder,thumb$/m);
    const lsJson = JSON.parse((await cli.run('ls', '--json')).stdout) as { ok: boolean; assets: Array<{ assetId: string }> };
    expect(lsJson.ok).toBe(true);
    expect(lsJson.assets.map((a) => a.assetId)).toEqual(['big.bin', 'photos/2024/p.png', 'photos/a.txt']);

    const got = await cli.run('get', 'big.bin', '-o', 'copy.bin');
    expect(got.code).toBe(0);
    expect(Buffer.compare(await readFile(join(cli.cwd, 'copy.bin')), data)).toBe(0); // not toEqual: slow on 4 M elements
    const thumb = await cli.run('get', 'photos/2024/p.png', '--variant', 'thumb', '--json');
    const info = JSON.parse(thumb.stdout) as { ok: boolean; path: string; contentType: string; sha256: string };
    expect(info.ok).toBe(true);
    expect(info.path).toBe(join(cli.cwd, 'p.thumb.webp'));
    expect(await dimensions(new Uint8Array(await readFile(info.path)))).toEqual({ width: 200, height: 320, format: 'webp' });
    const stdout = await cli.run('get', 'photos/a.txt', '-o', '-');
    expect(stdout.stdout).toBe('hello');

    const status = await cli.run('status', '1', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ ok: true, uploadId: '1', state: 'finished', received: 3, hashed: 3, chunkCount: 3 });
    expect((await cli.run('status')).stdout).toBe('no uploads\n');

    const rm = await cli.run('rm', 'big.bin', 'nope');
    expect(rm.code).toBe(1);
    expect(rm.stdout).toBe('removed big.bin\n');
    expect(rm.stderr).toBe('error: asset nope not found.\n'); // the fake's text for NotFound
    const gone = await cli.run('get', 'big.bin');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('error: asset big.bin not found.\n'); // the canister's words, no internal method names
    expect((await cli.run('get', 'photos/a.txt', '--variant', 'thumb')).stderr).toBe('error: asset photos/a.txt has no variant thumb (it has original).\n');
  });

  it('prints one JSON document for put --json, with failures as data and exit code 1', async () => {
    const cli = await testCli();
    await writeFile(join(cli.cwd, 'ok.bin'), bytes(10, 1));
    await writeFile(join(cli.cwd, 'two.bin'), bytes(10, 2));
    // Bob owns asset "x"; alice's uploads under the prefix "x/" are hers, a file named "x" is not.
    cli.fake.caller = BOB;
    await cli.fake.begin({ asset_id: 'x', variant: 'original', file_name: '', content_type: '', size: 1n, chunk_size: 1, sha256: [], idempotency_key: [], public: [] });
    await cli.fake.put_chunk({ upload_id: 1n, index: 0, bytes: [7] });
    await cli.fake.finish({ upload_id: 1n, sha256: [sha256(new Uint8Array([7]))] });
    cli.fake.caller = ALICE;
    const put = await cli.run('put', 'ok.bin', 'two.bin', '--prefix', 'x', '--json', '--no-derivatives');
    expect(put.code).toBe(0);
    const doc = JSON.parse(put.stdout) as { ok: boolean; assets: Array<{ assetId: string; status: string; variants: { original: { sha256: string } } }> };
    expect(doc.ok).toBe(true);
    expect(doc.assets.map((a) => a.assetId)).toEqual(['x/ok.bin', 'x/two.bin']);
    expect(doc.assets[0]!.variants.original.sha256).toBe(Buffer.from(sha256(bytes(10, 1))).toString('hex'));
    expect(put.stderr).toBe('');

    await writeFile(join(cli.cwd, 'x'), bytes(3, 3));
    const clash = await cli.run('put', 'x', '--json');
    expect(clash.code).toBe(1);
    const failed = JSON.parse(clash.stdout) as { ok: boolean; error: { message: string }; assets: Array<{ status: string; error: { message: string; code: string } }> };
    expect(failed).toMatchObject({ ok: false, error: { message: '1 of 1 files did not upload.' } });
    expect(failed.assets[0]).toEqual(
      expect.objectContaining({ ok: false, status: 'failed', error: { message: 'asset belongs to another principal.', code: 'Forbidden' } }) // the fake's text
    );
  });

  it('with --json prints exactly one document on stdout for every outcome: ok, and error { message, code } on failure', async () => {
    const cli = await testCli();
    await writeFile(join(cli.cwd, 'a.bin'), bytes(10, 1));
    const doc = async (...argv: string[]) => {
      const r = await cli.run(...argv, '--json');
      return { code: r.code, doc: JSON.parse(r.stdout) as Record<string, unknown>, stderr: r.stderr };
    };
    expect(await doc('put', 'a.bin')).toMatchObject({ code: 0, doc: { ok: true, assets: [{ ok: true, assetId: 'a.bin', status: 'finished' }] } });
    expect(await doc('ls')).toMatchObject({ code: 0, doc: { ok: true, assets: [{ assetId: 'a.bin' }] } });
    expect(await doc('status')).toMatchObject({ code: 0, doc: { ok: true, open: [], journal: [] } });

    expect(await doc('get', 'nosuch')).toEqual({ code: 1, doc: { ok: false, error: { message: 'asset nosuch not found.', code: 'NotFound' } }, stderr: 'error: asset nosuch not found.\n' });
    const rm = await doc('rm', 'a.bin', 'nope');
    expect(rm.code).toBe(1);
    expect(rm.doc).toEqual({
      ok: false,
      assets: [
        { ok: true, assetId: 'a.bin' },
        { ok: false, assetId: 'nope', error: { message: 'asset nope not found.', code: 'NotFound' } }
      ],
      error: { message: '1 of 2 assets could not be removed.' }
    });
    const missing = await doc('put', 'missing.bin');
    expect(missing).toMatchObject({ code: 1, doc: { ok: false, error: { message: `${join(cli.cwd, 'missing.bin')}: no such file or directory.`, code: 'ENOENT' } } });
    expect(await doc('frobnicate')).toMatchObject({ code: 2, doc: { ok: false, error: { message: "unknown command 'frobnicate'.", code: 'Usage' } } });
    expect(await doc('status', 'abc')).toMatchObject({ code: 2, doc: { ok: false, error: { message: 'upload id must be a number, not "abc".', code: 'Usage' } } });

    const down = TransportError.fromCode(new HttpFetchErrorCode(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:4943') })));
    cli.hooks.wrap = (service) => withFaults(service, () => down);
    expect(await doc('ls')).toMatchObject({
      code: 1,
      doc: { ok: false, error: { message: 'could not reach the network (fetch failed: connect ECONNREFUSED 127.0.0.1:4943); is the replica running?', code: 'NetworkUnreachable' } }
    });
    cli.hooks.wrap = undefined;

    // `get -o -` streams the file on stdout, so its report, failed or not, is on stderr.
    const toStdout = await cli.run('get', 'nosuch', '-o', '-', '--json');
    expect(toStdout.stdout).toBe('');
    expect(JSON.parse(toStdout.stderr.slice(toStdout.stderr.indexOf('{')))).toEqual({ ok: false, error: { message: 'asset nosuch not found.', code: 'NotFound' } });
  });

  it('get -o <directory> writes into the directory under the stored file name, like cp', async () => {
    const cli = await testCli();
    const data = bytes(5000, 9);
    await mkdir(join(cli.cwd, 'in'));
    await writeFile(join(cli.cwd, 'in', 'big.bin'), data);
    expect((await cli.run('put', 'in/big.bin', '--prefix', 'p')).code).toBe(0);
    await mkdir(join(cli.cwd, 'out'));
    const got = await cli.run('get', 'p/big.bin', '-o', 'out');
    expect(got.code).toBe(0);
    expect(got.stderr).toMatch(/^get p\/big\.bin: 100% 5\.00 kB \/ 5\.00 kB$/m);
    expect(got.stdout).toMatch(new RegExp(`^saved ${join(cli.cwd, 'out', 'big.bin')}: 5\\.00 kB`));
    expect(Buffer.compare(await readFile(join(cli.cwd, 'out', 'big.bin')), data)).toBe(0);
    await mkdir(join(cli.cwd, 'out2'));
    expect((await cli.run('get', 'p/big.bin', '-o', 'out2/')).code).toBe(0);
    expect(Buffer.compare(await readFile(join(cli.cwd, 'out2', 'big.bin')), data)).toBe(0);
    const noDir = await cli.run('get', 'p/big.bin', '-o', 'nodir/');
    expect(noDir).toMatchObject({ code: 1, stderr: 'error: -o nodir/: no such directory.\n' });
  });

  it('after a resume, put counts only the bytes sent in this run and says which files resumed', async () => {
    const cli = await testCli();
    const data = bytes(4_100_000, 5); // 1.9 + 1.9 + 0.3 MB chunks
    await writeFile(join(cli.cwd, 'big.bin'), data);
    await writeFile(join(cli.cwd, 'small.bin'), bytes(1000, 6));
    // The first run dies (a non-transient failure) on the second chunk: one chunk stays stored, journaled.
    cli.hooks.wrap = (service) => withFaults(service, (method, n) => (method === 'put_chunk' && n === 2 ? new Error('process killed') : undefined));
    const first = await cli.run('put', 'big.bin', '--chunk-concurrency', '1');
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/^0 of 1 uploaded \(0 B\), sent 1\.90 MB in /m);
    cli.hooks.wrap = undefined;

    const second = await cli.run('put', 'big.bin', 'small.bin');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^uploaded big\.bin \(4\.10 MB, resumed: 2\.20 MB sent\) sha256 [0-9a-f]{16}$/m);
    expect(second.stdout).toMatch(/^uploaded small\.bin \(1\.00 kB\) sha256/m);
    expect(second.stderr).toMatch(/^2 of 2 uploaded \(4\.10 MB, 1 resumed\), sent 2\.20 MB in \d+\.\ds/m); // 2,200,000 + 1,000 bytes
    expect(cli.fake.putLog.filter((p) => p.uploadId === 1n).map((p) => p.index)).toEqual([0, 1, 2]);
    const again = JSON.parse((await cli.run('put', 'small.bin', '--json', '--force')).stdout) as { bytes: number; bytesSent: number; assets: Array<{ resumed: boolean; bytesSent: number }> };
    expect(again).toMatchObject({ bytes: 1000, bytesSent: 1000, assets: [{ resumed: false, bytesSent: 1000 }] });
  });

  it('exits 2 on usage errors and 0 on help, without a stack trace', async () => {
    const cli = await testCli();
    expect((await cli.run('--help')).code).toBe(0);
    const unknown = await cli.run('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    const badConcurrency = await cli.run('put', 'a', '--concurrency', 'zero');
    expect(badConcurrency.code).toBe(2);
    expect(badConcurrency.stderr).toMatch(/expected an integer from 1 to 64/);
    const missing = await cli.run('put', 'does-not-exist.bin');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`error: ${join(cli.cwd, 'does-not-exist.bin')}: no such file or directory.\n`);
    const badNetwork = await cli.run('ls', '--network', 'ftp://x');
    expect(badNetwork.code).toBe(2);
    expect(badNetwork.stderr).toMatch(/^error: --network URL must be http or https/);
    const verbose = await cli.run('status', 'abc', '--verbose');
    expect(verbose.code).toBe(2);
    expect(verbose.stderr).toMatch(/upload id must be a number/);
    expect(verbose.stderr).toMatch(/\n\s+at /); // the stack, only with --verbose
    expect((await cli.run('status', 'abc')).stderr).not.toMatch(/\n\s+at /);
  });

  it('draws progress bars on a terminal without disturbing the results', async () => {
    const cli = await testCli({ isTTY: true });
    await writeFile(join(cli.cwd, 'a.bin'), bytes(3000, 1));
    const put = await cli.run('put', 'a.bin');
    expect(put.code).toBe(0);
    expect(put.stdout).toMatch(/^uploaded a\.bin \(3\.00 kB\)/);
    expect(put.stderr).not.toMatch(/\[1\/1\] finished/); // bars, not plain lines
  });

  it('registers `replica` with its options and hands them to runReplica', async () => {
    const cli = await testCli();
    const r = await cli.run('replica', '--state-dir', '/tmp/s', '--port', '4943');
    expect(r.code).toBe(0);
    expect(cli.replicaCalls[0]).toMatchObject({ stateDir: '/tmp/s', port: '4943' });
  });

  it('resolves the connection from flags, environment and .ic-upload.json', async () => {
    const cli = await testCli({ env: { IC_UPLOAD_CANISTER_ID: '' } });
    await expect(resolveConnection({}, { IC_UPLOAD_STATE_DIR: join(cli.cwd, 's') }, cli.cwd)).rejects.toThrow(/no canister id/);
    await writeFile(join(cli.cwd, '.ic-upload.json'), JSON.stringify({ url: 'http://127.0.0.1:8080', canisterId: 'rrkah-fqaaa-aaaaa-aaaaq-cai' }));
    const fromFile = await resolveConnection({}, { IC_UPLOAD_STATE_DIR: join(cli.cwd, 's') }, cli.cwd);
    expect(fromFile).toMatchObject({ url: 'http://127.0.0.1:8080', local: true, canisterId: 'rrkah-fqaaa-aaaaa-aaaaq-cai' });
    const env = { IC_UPLOAD_STATE_DIR: join(cli.cwd, 's'), IC_UPLOAD_CANISTER_ID: 'ryjl3-tyaaa-aaaaa-aaaba-cai' };
    const flags = await resolveConnection({ network: 'ic', identity: '/k.pem' }, env, cli.cwd);
    expect(flags).toMatchObject({ url: 'https://icp-api.io', local: false, canisterId: 'ryjl3-tyaaa-aaaaa-aaaba-cai', identityPath: '/k.pem' });
    await expect(resolveConnection({ canisterId: 'not a principal' }, env, cli.cwd)).rejects.toThrow(/is not a canister id/);
    expect(networkUrl('https://icp0.io').local).toBe(false);
    expect(networkUrl('local')).toEqual({ url: 'http://127.0.0.1:4943', local: true });
  });

  it('expands directories into asset ids and refuses collisions', async () => {
    const cli = await testCli();
    await mkdir(join(cli.cwd, 'd', 'e'), { recursive: true });
    await writeFile(join(cli.cwd, 'd', 'z.txt'), '1');
    await writeFile(join(cli.cwd, 'd', 'e', 'y.txt'), '2');
    await writeFile(join(cli.cwd, 'z.txt'), '3');
    const files = await expandInputs(['d'], cli.cwd, 'pre/');
    expect(files.map((f) => f.assetId)).toEqual(['pre/d/e/y.txt', 'pre/d/z.txt']);
    await mkdir(join(cli.cwd, 'other'));
    await writeFile(join(cli.cwd, 'other', 'z.txt'), '4');
    await expect(expandInputs(['z.txt', 'other/z.txt'], cli.cwd)).rejects.toThrow(/would both be stored as asset z\.txt/);
    expect(outputPath('/w', 'dir/photo.thumb.webp', 'a')).toBe('/w/photo.thumb.webp');
    expect(outputPath('/w', '', 'a/b', 'out')).toBe('/w/out');
    expect(outputPath('/w', 'x', 'a', '-')).toBe('-');
  });

  it('formats sizes, durations, tables and errors for people', () => {
    expect([formatBytes(999), formatBytes(1000), formatBytes(21_000_000), formatBytes(1_500_000_000)]).toEqual(['999 B', '1.00 kB', '21.0 MB', '1.50 GB']);
    expect([formatDuration(5), formatDuration(125), formatDuration(7300), formatDuration(undefined)]).toEqual(['5s', '2m05s', '2h01m', '--']);
    expect(assetTable([])).toBe('no assets\n');
    const err = new ServiceError({ ChunkConflict: { index: 3 } }, 'f.bin', 'put_chunk');
    expect(oneSentence(err)).toBe('chunk 3 of f.bin differs from the one the canister already has.');
    expect(oneSentence(new Error('first line\n  details: lots'))).toBe('first line.');
    expect(
      outcomeLine({ status: 'failed', assetId: 'a', fileName: 'a', variants: {}, warnings: [], resumed: false, bytesSent: 0, error: err })
    ).toBe('failed a: chunk 3 of f.bin differs from the one the canister already has');
    // A question stays a question: no period after ? or !.
    const down = TransportError.fromCode(new HttpFetchErrorCode(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:4943') })));
    expect(oneSentence(down)).toBe('could not reach the network (fetch failed: connect ECONNREFUSED 127.0.0.1:4943); is the replica running?');
    expect(oneSentence(new RetriesExhaustedError('a.bin', 'put_chunk', 8, down))).toBe(
      'gave up on a.bin after 8 attempts: could not reach the network (fetch failed: connect ECONNREFUSED 127.0.0.1:4943); is the replica running?'
    );
    expect(oneSentence(new Error('really!'))).toBe('really!');
  });
});
