import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytes } from '../client/helpers.js';
import { testCli } from './cli_context.js';

describe('ic-upload put --public, public [--off], ls', () => {
  it('makes assets public on upload or later, private again, and ls shows which with their URL', async () => {
    const cli = await testCli();
    await writeFile(join(cli.cwd, 'a.bin'), bytes(10, 1));
    await writeFile(join(cli.cwd, 'b b.txt'), bytes(20, 2));
    expect((await cli.run('put', 'a.bin', '--public')).code).toBe(0);
    expect((await cli.run('put', 'b b.txt')).code).toBe(0);
    expect(cli.fake.assets.get('a.bin')!.public).toBe(true);
    expect(cli.fake.assets.get('b b.txt')!.public).toBe(false);

    const ls = (await cli.run('ls')).stdout;
    expect(ls).toMatch(/^a\.bin\s.*\shttps?:\/\/[a-z0-9-]+\.(localhost:\d+|icp0\.io)\/a\.bin$/m);
    expect(ls).toMatch(/^b b\.txt\s.*\s-$/m);

    const shown = await cli.run('public', 'b b.txt', '--json');
    expect(shown.code).toBe(0);
    const doc = JSON.parse(shown.stdout) as { ok: boolean; assets: Array<{ assetId: string; public: boolean; url: string }> };
    expect(doc.assets[0]).toMatchObject({ assetId: 'b b.txt', public: true });
    expect(doc.assets[0]!.url).toMatch(/\/b%20b\.txt$/);
    expect(cli.fake.assets.get('b b.txt')!.public).toBe(true);

    expect((await cli.run('public', 'a.bin', '--off')).stdout).toBe('private a.bin\n');
    expect(cli.fake.assets.get('a.bin')!.public).toBe(false);
    const listed = JSON.parse((await cli.run('ls', '--json')).stdout) as { assets: Array<{ assetId: string; public: boolean; url?: string }> };
    expect(listed.assets.map((a) => [a.assetId, a.public, a.url !== undefined])).toEqual([['a.bin', false, false], ['b b.txt', true, true]]);

    const missing = await cli.run('public', 'nope');
    expect(missing.code).toBe(1);
  });
});
