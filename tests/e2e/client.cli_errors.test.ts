// The CLI's failures against a live local network, with agent-js's real errors: a canister id that
// does not exist, one outside the network's ranges, a missing asset, and what --json prints then.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConnection } from '../../src/cli/config.js';
import { processContext, type CliContext } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { startLocalNetwork, type LocalNetwork } from '../../src/replica/local_network.js';

const MISSING = 'lm4fb-uh777-77777-aaacq-cai'; // well-formed, in the local subnet's range, never created
const ELSEWHERE = 'ryjl3-tyaaa-aaaaa-aaaba-cai'; // the ledger's id on mainnet: outside the local ranges

let network: LocalNetwork;
let work: string;

/** Runs the CLI in this process (the replica serves from here too, asynchronously). */
async function cli(canisterId: string, ...args: string[]) {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c));
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c));
  const env = { ...process.env, IC_UPLOAD_STATE_DIR: join(work, 'cli-state') };
  const ctx: CliContext = { ...processContext(), stdout, stderr, isTTY: false, env, cwd: work, resolve: (o) => resolveConnection(o, env, work) };
  const code = await main(['--network', network.url, '--canister-id', canisterId, ...args], ctx);
  await new Promise((r) => setImmediate(r));
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'icu-cli-errors-'));
  network = await startLocalNetwork({ stateDir: join(work, 'replica'), wasm: new Uint8Array(readFileSync('.azle/ic_upload/ic_upload.wasm')), port: 0 });
  writeFileSync(join(work, 'data.xyz'), 'bytes of no known type');
});
afterAll(() => network?.close());

describe('CLI errors on the local network', () => {
  it('says a canister that does not exist was not found, with the replica’s reason and IC0301', async () => {
    const ls = await cli(MISSING, 'ls');
    expect(ls).toMatchObject({ code: 1, stdout: '' });
    expect(ls.stderr).toBe(`error: canister ${MISSING} not found on this network (IC0301: Canister ${MISSING} not found).\n`);
    const put = await cli(MISSING, 'put', 'data.xyz', '--json');
    expect(put.code).toBe(1);
    // put asks the canister about the asset and the caller's open uploads first: the whole command fails.
    expect(JSON.parse(put.stdout)).toMatchObject({
      ok: false,
      error: { code: 'IC0301', message: `canister ${MISSING} not found on this network (IC0301: Canister ${MISSING} not found).` }
    });
  });

  it('says a canister outside the network’s ranges is not on this network, for queries and updates', async () => {
    const ls = await cli(ELSEWHERE, 'ls', '--json');
    expect(ls.code).toBe(1);
    expect(JSON.parse(ls.stdout)).toMatchObject({ ok: false, error: { code: 'CanisterNotOnNetwork', message: expect.stringMatching(new RegExp(`^canister ${ELSEWHERE} is not on this network \\(subnet .+ does not host it\\)\\.$`)) } });
    const put = await cli(ELSEWHERE, 'put', 'data.xyz');
    expect(put.code).toBe(1);
    expect(put.stderr).toMatch(new RegExp(`^error: canister ${ELSEWHERE} is not on this network \\(subnet .+ does not host it\\)\\.$`, 'm'));
    // An update (rm's delete_asset) is refused at submission.
    const rm = await cli(ELSEWHERE, 'rm', 'data.xyz');
    expect(rm.code).toBe(1);
    expect(rm.stderr).toMatch(new RegExp(`^error: the network refused the request \\(HTTP 400 Bad Request: .*${ELSEWHERE}.*canister ranges.*\\)\\.$`, 'm'));
    expect(rm.stderr).not.toMatch(/HTTP request failed:$/m);
  });

  it('reports a missing asset in the canister’s words, as text and as one JSON document', async () => {
    const canister = network.canisterId;
    const get = await cli(canister, 'get', 'nosuch');
    expect(get).toEqual({ code: 1, stdout: '', stderr: 'error: no asset "nosuch".\n' });
    const json = await cli(canister, 'get', 'nosuch', '--json');
    expect(JSON.parse(json.stdout)).toEqual({ ok: false, error: { message: 'no asset "nosuch".', code: 'NotFound' } });
    const rm = await cli(canister, 'rm', 'nosuch');
    expect(rm).toEqual({ code: 1, stdout: '', stderr: 'error: no asset "nosuch".\n' });
  });

  it('stores untyped files as application/octet-stream and gets into a directory under the stored name', async () => {
    const canister = network.canisterId;
    expect((await cli(canister, 'put', 'data.xyz')).code).toBe(0);
    const ls = JSON.parse((await cli(canister, 'ls', '--json')).stdout) as { ok: boolean; assets: Array<{ assetId: string; variants: { original: { contentType: string } } }> };
    expect(ls.assets.find((a) => a.assetId === 'data.xyz')?.variants.original.contentType).toBe('application/octet-stream');
    mkdirSync(join(work, 'out'));
    const get = await cli(canister, 'get', 'data.xyz', '-o', 'out');
    expect(get.code).toBe(0);
    expect(readFileSync(join(work, 'out', 'data.xyz'), 'utf8')).toBe('bytes of no known type');
  });
});
