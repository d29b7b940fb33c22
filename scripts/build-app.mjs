// Builds the browser app into dist/app: index.html with the page's script and styles inlined (one
// request, and no relative URL that would lose `?canisterId=`), worker.js (the uploads), and
// signin_ii.js (Internet Identity, loaded on mainnet only). Prints each file's size and gzip size.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src/app');
export const APP_DIR = join(root, 'dist/app');
const FILES = ['index.html', 'worker.js', 'signin_ii.js'];
/**
 * What the last build read (esbuild's metafile inputs and the page's template), and their digest;
 * beside the app's folder, not in it: every file in it is deployed.
 */
const STAMP = join(APP_DIR, '..', 'app.inputs.json');

async function bundle(entry, format, inputs) {
  const { build } = await import('esbuild');
  const out = await build({
    metafile: true,
    entryPoints: [join(src, entry)],
    bundle: true,
    format,
    minify: true,
    target: 'es2022',
    platform: 'browser',
    write: false,
    legalComments: 'none',
    logLevel: 'warning'
  });
  // Dependencies are pinned by the lockfile (in the inputs): hashing it stands for them.
  for (const input of Object.keys(out.metafile.inputs)) if (!input.includes('node_modules/')) inputs.add(relative(root, join(root, input)));
  return out.outputFiles[0].text;
}

function digest(files) {
  const hash = createHash('sha256');
  for (const file of files) {
    const path = join(root, file);
    hash.update(`${file}\0`).update(existsSync(path) ? readFileSync(path) : '\u0000missing').update('\0');
  }
  return hash.digest('hex');
}

/** Whether dist/app is the build of the files as they are now (`npm start` skips rebuilding it). */
export function appUpToDate() {
  if (!existsSync(STAMP) || FILES.some((f) => !existsSync(join(APP_DIR, f)))) return false;
  try {
    const stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
    return Array.isArray(stamp.files) && stamp.digest === digest(stamp.files);
  } catch {
    return false;
  }
}

export async function buildApp() {
  mkdirSync(APP_DIR, { recursive: true });
  const inputs = new Set(['src/app/index.html', 'src/app/app.css', 'scripts/build-app.mjs', 'package-lock.json']);
  const [page, worker, signin] = await Promise.all([bundle('main.ts', 'iife', inputs), bundle('worker.ts', 'iife', inputs), bundle('signin_ii.ts', 'esm', inputs)]);
  const css = readFileSync(join(src, 'app.css'), 'utf8');
  // `</script` inside the bundle would end the inline script early.
  const html = readFileSync(join(src, 'index.html'), 'utf8')
    .replace('/*APP_CSS*/', () => css)
    .replace('/*APP_JS*/', () => page.replaceAll('</script', '<\\/script'));
  const outputs = { 'index.html': html, 'worker.js': worker, 'signin_ii.js': signin };
  const sizes = {};
  for (const [name, text] of Object.entries(outputs)) {
    writeFileSync(join(APP_DIR, name), text);
    sizes[name] = { bytes: Buffer.byteLength(text), gzip: gzipSync(text).length };
  }
  const files = [...inputs].sort();
  writeFileSync(STAMP, JSON.stringify({ digest: digest(files), files }) + '\n');
  return { dir: APP_DIR, sizes };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--if-changed') && appUpToDate()) {
    console.log(`the app is up to date (inputs unchanged) -> ${relative(root, APP_DIR)}`);
    process.exit(0);
  }
  const { dir, sizes } = await buildApp();
  for (const [name, s] of Object.entries(sizes)) console.log(`${name.padEnd(14)} ${(s.bytes / 1024).toFixed(1).padStart(7)} KiB  gzip ${(s.gzip / 1024).toFixed(1).padStart(6)} KiB`);
  console.log(`app written to ${dir}`);
}
