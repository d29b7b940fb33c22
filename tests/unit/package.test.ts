// The npm package as a frontend or a CLI user gets it: `npm pack` (with its prepack build), the
// tarball installed into an empty project, every entry point imported from Node, the bin run, and
// `ic-upload/browser` bundled for the browser with esbuild.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = process.cwd();
let project: string;
let packed: { filename: string; size: number; unpackedSize: number; files: Array<{ path: string }> };

/** Every package folder under node_modules (scoped ones and nested node_modules included). */
function installedPackages(dir: string): string[] {
  const found: string[] = [];
  const visit = (modules: string) => {
    let entries: string[];
    try {
      entries = readdirSync(modules);
    } catch {
      return;
    }
    for (const name of entries) {
      if (name.startsWith('.')) continue;
      if (name.startsWith('@')) {
        for (const inner of readdirSync(join(modules, name))) {
          found.push(`${name}/${inner}`);
          visit(join(modules, name, inner, 'node_modules'));
        }
      } else {
        found.push(name);
        visit(join(modules, name, 'node_modules'));
      }
    }
  };
  visit(join(dir, 'node_modules'));
  return found;
}

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'icu-package-'));
  // .npmrc sets ignore-scripts; the flag proves `prepack` builds what the tarball ships.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts=false', '--pack-destination', project], { cwd: root, maxBuffer: 16 << 20 });
  packed = JSON.parse(stdout.slice(stdout.indexOf('[')))[0];
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'probe', version: '1.0.0', private: true, type: 'module' }));
  // Everything it needs is in npm's cache after `npm ci` of this repository.
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', join(project, packed.filename)], { cwd: project, maxBuffer: 16 << 20 });
}, 240_000);

describe('the npm package', () => {
  it('ships compiled ESM with declarations, and neither sources nor the replica', () => {
    const paths = packed.files.map((f) => f.path);
    for (const entry of ['dist/src/client/index.js', 'dist/src/client/node/index.d.ts', 'dist/src/client/browser/index.js', 'dist/candid/ic_upload.d.ts', 'dist/src/cli/main.js', 'bin/ic-upload.js']) {
      expect(paths).toContain(entry);
    }
    expect(paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);
    expect(paths.filter((p) => /replica|backend|azle/.test(p))).toEqual([]);
  });

  it('installs the client without the canister, replica or test tools', () => {
    const installed = installedPackages(project);
    for (const tool of ['azle', 'binaryen', 'sharp', '@dfinity/pic', 'tsx', 'typescript', 'vitest', 'cborg', 'esbuild']) expect(installed).not.toContain(tool);
    expect(installed).toEqual(expect.arrayContaining(['ic-upload', '@icp-sdk/core', '@noble/hashes']));
  });

  it('imports every entry point from Node', async () => {
    const script = `
      const names = {};
      for (const entry of ['ic-upload', 'ic-upload/node', 'ic-upload/browser', 'ic-upload/candid']) names[entry] = Object.keys(await import(entry)).sort();
      console.log(JSON.stringify(names));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project });
    const names = JSON.parse(stdout) as Record<string, string[]>;
    expect(names['ic-upload']).toEqual(expect.arrayContaining(['Uploader', 'downloadAsset', 'ServiceError', 'isTransient']));
    expect(names['ic-upload/node']).toEqual(expect.arrayContaining(['Uploader', 'fileSource', 'FileJournal', 'sharpDeriver', 'defaultJournal', 'localFetch', 'verifiedAgent']));
    expect(names['ic-upload/browser']).toEqual(expect.arrayContaining(['Uploader', 'blobSource', 'IndexedDbJournal', 'canvasDeriver', 'defaultJournal']));
    expect(names['ic-upload/candid']).toEqual(expect.arrayContaining(['idlFactory', 'init', 'contractTypes']));
  });

  it('runs the bin from the compiled CLI', async () => {
    const { stdout } = await run(process.execPath, [join(project, 'node_modules', 'ic-upload', 'bin', 'ic-upload.js'), '--help'], { cwd: project });
    expect(stdout).toMatch(/Usage: ic-upload/);
    expect(stdout).toMatch(/Exit codes/);
  });

  it('bundles ic-upload/browser for the browser with no Node-only module', async () => {
    const result = await build({
      stdin: {
        contents: `import { Uploader, blobSource, defaultJournal, downloadAsset } from 'ic-upload/browser';
          import { idlFactory } from 'ic-upload/candid';
          globalThis.icUpload = { Uploader, blobSource, defaultJournal, downloadAsset, idlFactory };`,
        resolveDir: project
      },
      absWorkingDir: project,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent'
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.includes('dist/src/client/browser/index.js'))).toBe(true);
    // platform=browser fails the build on any Node built-in; these are what else must stay out.
    expect(inputs.filter((p) => /\/node\/|sharp|commander|cli-progress|@icp-sdk\/core/.test(p))).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/from\s*["']node:|require\(["'](node:)?(fs|path|os|crypto)["']\)/);
    expect(code).toContain('indexedDB');
  });
});
