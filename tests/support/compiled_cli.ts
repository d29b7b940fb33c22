// The `ic-upload` command compiled to plain JavaScript once per test run, for the tests that spawn
// it many times (replica kills and restarts, CLI output). bin/ic-upload.js runs the sources
// through tsx, whose loader costs several times the CPU of the command itself at every start
// (measured: a replica restart ≈ 6 CPU-seconds through tsx, ≈ 1.2 compiled). The compile is
// `npm start`'s (scripts/start.mjs), into a folder of the tests' own: its package.json makes it
// the package root the CLI finds (src/cli/package_root.ts), so the canister Wasm is found through
// a symlink to the repository's .azle/ and package imports resolve from node_modules above it.
// dist/app is left out: a replica started from here deploys no app (as in a clone where the app
// is not built), which would cost each start a certified upload of its files;
// app.deploy.test.ts and the browser tests deploy it.
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileCli as compileCliInto } from '../../scripts/start.mjs';

/** Compiles the CLI under `root`/node_modules/.cache; answers the path of its entry, main.js. */
export async function compileCli(root: string): Promise<string> {
  const out = join(root, 'node_modules', '.cache', 'ic-upload-tests', 'cli');
  const entry = await compileCliInto(out);
  writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
  symlinkSync(join(root, '.azle'), join(out, '.azle'));
  return entry;
}
