// The `ic-upload` command compiled to plain JavaScript once per test run, for the tests that spawn
// it many times (replica kills and restarts, CLI output). bin/ic-upload.js runs the sources
// through tsx, whose loader costs several times the CPU of the command itself at every start
// (measured: a replica restart ≈ 6 CPU-seconds through tsx, ≈ 1.2 compiled); this is what the
// published package runs instead (dist/), built from the same sources. esbuild transpiles each
// file on its own (no bundle), so the folder keeps the repository's layout: the canister Wasm the
// code finds from its own location (.azle/) is a symlink to the repository's, and package imports
// resolve from the repository's node_modules above it. dist/app is left out: a replica started
// from here deploys no app (as in a clone where the app is not built), which would cost each
// start a certified upload of its files; app.deploy.test.ts and the browser tests deploy it.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Source folders the CLI imports from (it never reaches the canister's or the app's). */
const SOURCES = ['src/cli', 'src/replica', 'src/client', 'src/shared', 'candid'];

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return typeScriptFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Compiles the CLI under `root`/node_modules/.cache; answers the path of its entry, main.js. */
export async function compileCli(root: string): Promise<string> {
  const out = join(root, 'node_modules', '.cache', 'ic-upload-tests', 'cli');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: SOURCES.flatMap((dir) => typeScriptFiles(join(root, dir))),
    outdir: out,
    outbase: root,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning'
  });
  // Inside node_modules no package.json above says the .js files are ES modules.
  writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
  symlinkSync(join(root, '.azle'), join(out, '.azle'));
  return join(out, 'src', 'cli', 'main.js');
}
