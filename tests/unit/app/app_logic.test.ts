// The app's pure parts: where it is, how it names numbers, and what it says for each error.
import { describe, expect, it } from 'vitest';
import { assetUrl, ConfigError, configFromLocation } from '../../../src/app/config.js';
import { toAppError } from '../../../src/app/errors.js';
import { formatBytes, formatEta, formatRate } from '../../../src/app/format.js';
import { describeAppError } from '../../../src/app/messages.js';
import { RetriesExhaustedError, ServiceError, UploadAbortedError } from '../../../src/client/index.js';

const ID = 'uxrrr-q7777-77774-qaaaq-cai';

function at(url: string) {
  const u = new URL(url);
  return { hostname: u.hostname, origin: u.origin, search: u.search, protocol: u.protocol, host: u.host };
}

describe('configFromLocation', () => {
  it('reads the canister from <id>.localhost and talks to the same origin', () => {
    const c = configFromLocation(at(`http://${ID}.localhost:4943/`));
    expect(c).toEqual({ canisterId: ID, host: `http://${ID}.localhost:4943`, network: 'local', assetBase: `http://${ID}.localhost:4943`, assetQuery: '' });
    expect(assetUrl(c, 'photos/a b.jpg', 'thumb')).toBe(`http://${ID}.localhost:4943/photos/a%20b.jpg?variant=thumb`);
  });

  it('reads ?canisterId= on 127.0.0.1, keeps it on every asset URL, and honours ?host=', () => {
    const c = configFromLocation(at(`http://127.0.0.1:4943/?canisterId=${ID}&host=http%3A%2F%2F127.0.0.1%3A9000`));
    expect(c.canisterId).toBe(ID);
    expect(c.host).toBe('http://127.0.0.1:9000');
    expect(assetUrl(c, 'worker.js')).toBe(`http://127.0.0.1:4943/worker.js?canisterId=${ID}`);
    expect(assetUrl(c, 'x', 'original')).toBe(`http://127.0.0.1:4943/x?canisterId=${ID}`);
  });

  it('knows mainnet by its host and uses the IC API there', () => {
    const c = configFromLocation(at(`https://${ID}.icp0.io/`));
    expect([c.network, c.host, assetUrl(c, 'a.png')]).toEqual(['ic', 'https://icp-api.io', `https://${ID}.icp0.io/a.png`]);
  });

  it('refuses a page that names no canister', () => {
    expect(() => configFromLocation(at('http://127.0.0.1:8080/'))).toThrow(ConfigError);
    expect(() => configFromLocation(at('http://127.0.0.1:8080/?canisterId=not-a-principal'))).toThrow(ConfigError);
  });
});

describe('format', () => {
  it('names sizes, rates and durations', () => {
    expect([formatBytes(0), formatBytes(999), formatBytes(1500), formatBytes(21_000_000)]).toEqual(['0 B', '999 B', '1.5 kB', '21 MB']);
    expect([formatRate(0), formatRate(2_500_000)]).toEqual(['—', '2.5 MB/s']);
    expect([formatEta(undefined), formatEta(0), formatEta(0.4), formatEta(42), formatEta(125), formatEta(7300)]).toEqual(['—', 'done', '< 1 s', '42 s', '2 min 5 s', '2 h 1 min']);
  });
});

describe('errors as the page shows them', () => {
  it('sorts each error into a kind with its advice, keeping the canister text', () => {
    const quota = toAppError(new ServiceError({ LimitExceeded: 'max_bytes_per_caller (10 MB) reached' }, 'a.bin', 'begin'));
    expect(quota).toEqual({ kind: 'quota', message: 'max_bytes_per_caller (10 MB) reached' });
    expect(describeAppError(quota)).toMatch(/^Over a limit of this canister: max_bytes_per_caller .* Delete some files/);
    const forbidden = toAppError(new ServiceError({ Forbidden: 'asset a.bin belongs to another principal' }, 'a.bin', 'begin'));
    expect(forbidden.kind).toBe('forbidden');
    expect(describeAppError(forbidden)).toContain('belongs to another principal');
    const down = toAppError(new RetriesExhaustedError('a.bin', 'put_chunk', 8, new TypeError('Failed to fetch')));
    expect(down.kind).toBe('network');
    expect(describeAppError(down)).toMatch(/^Cannot reach the network .* resume/);
    expect(toAppError(new TypeError('Failed to fetch')).kind).toBe('network');
    expect(toAppError(new UploadAbortedError('a.bin')).kind).toBe('aborted');
    expect(toAppError(new ServiceError({ NotFound: 'no asset x' }, 'x', 'get_asset')).kind).toBe('not-found');
    expect(toAppError(new ServiceError({ ChunkConflict: { index: 2 } }, 'x', 'put_chunk'))).toEqual({ kind: 'invalid', message: 'chunk 2 of x differs from the one the canister already has' });
  });
});
