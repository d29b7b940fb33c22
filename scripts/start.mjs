#!/usr/bin/env node
// `npm start`: builds what changed — the ic_upload canister (scripts/build.mjs), the browser app
// (scripts/build-app.mjs) and the CLI with the replica as JavaScript — then runs
// `ic-upload replica --state-dir .replica-state` and any arguments given after `--`.
//
// The CLI runs here from that JavaScript, not from its TypeScript through tsx as bin/ic-upload.js
// does in a clone: loading tsx and transforming the sources took ≈ 1.7 s of every start. The
// JavaScript is esbuild's transform of each source file (the folder tree kept, so paths relative
// to a module still hold), rebuilt whenever a file it comes from has changed; type checking stays
// with `tsc --noEmit`. The canister check runs in its own process meanwhile.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { appUpToDate, buildApp } from './build-app.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Under node_modules: a fresh `npm ci` starts without it, and nothing of it is ever committed. */
export const CLI_OUT = join(root, 'node_modules', '.cache', 'ic-upload', 'cli');
const CLI_SOURCES = ['src/cli', 'src/client', 'src/replica', 'src/shared', 'candid'];
/** Besides the sources: what changes their output (the transform's settings, the compiler). */
const CLI_INPUTS = ['scripts/start.mjs', 'package-lock.json', 'tsconfig.json'];
const STAMP = join(CLI_OUT, 'inputs-sha256');

function listSources(dir) {
  const path = join(root, dir);
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [dir];
  return readdirSync(path).flatMap((entry) => listSources(join(dir, entry)));
}

function inputsDigest(files) {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(join(root, file))).update('\0');
  return hash.digest('hex');
}

/** The CLI's source files, relative to the package root, sorted. */
function cliSources() {
  return CLI_SOURCES.flatMap(listSources)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort();
}

/**
 * esbuild's transform of each of the CLI's sources into `out` (emptied first), the folder tree
 * kept; answers the entry, `out`/src/cli/main.js.
 */
export async function compileCli(out) {
  const { build } = await import('esbuild');
  rmSync(out, { recursive: true, force: true });
  await build({
    entryPoints: cliSources().map((f) => join(root, f)),
    outbase: root,
    outdir: out,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'warning'
  });
  mkdirSync(out, { recursive: true });
  return join(out, 'src', 'cli', 'main.js');
}

/** Compiles the CLI's sources into CLI_OUT unless it holds the output of these very files; answers its entry. */
export async function ensureCli() {
  const sources = cliSources();
  const digest = inputsDigest([...sources, ...CLI_INPUTS]);
  const entry = join(CLI_OUT, 'src', 'cli', 'main.js');
  if (!existsSync(STAMP) || readFileSync(STAMP, 'utf8').trim() !== digest || !existsSync(entry)) {
    const started = Date.now();
    await compileCli(CLI_OUT);
    writeFileSync(STAMP, digest + '\n');
    console.log(`compiled the CLI (${sources.length} files) in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${relative(root, CLI_OUT)}`);
  }
  return entry;
}

function buildCanister() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'scripts', 'build.mjs'), 'ic_upload'], { cwd: root, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const canister = buildCanister();
  if (appUpToDate()) console.log('the app is up to date (inputs unchanged) -> dist/app');
  else await buildApp();
  const { main } = await import(pathToFileURL(await ensureCli()).href);
  const built = await canister;
  if (built !== 0) process.exit(built);
  process.exitCode = await main(['replica', '--state-dir', '.replica-state', ...process.argv.slice(2)]);
}
