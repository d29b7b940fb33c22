// Builds the browser app into dist/app: index.html with the page's script and styles inlined (one
// request, and no relative URL that would lose `?canisterId=`), worker.js (the uploads), and
// signin_ii.js (Internet Identity, loaded on mainnet only). Prints each file's size and gzip size.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src/app');
export const APP_DIR = join(root, 'dist/app');

async function bundle(entry, format) {
  const out = await build({
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
  return out.outputFiles[0].text;
}

export async function buildApp() {
  mkdirSync(APP_DIR, { recursive: true });
  const [page, worker, signin] = await Promise.all([bundle('main.ts', 'iife'), bundle('worker.ts', 'iife'), bundle('signin_ii.ts', 'esm')]);
  const css = readFileSync(join(src, 'app.css'), 'utf8');
  // `</script` inside the bundle would end the inline script early.
  const html = readFileSync(join(src, 'index.html'), 'utf8')
    .replace('/*APP_CSS*/', () => css)
    .replace('/*APP_JS*/', () => page.replaceAll('</script', '<\\/script'));
  const files = { 'index.html': html, 'worker.js': worker, 'signin_ii.js': signin };
  const sizes = {};
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(APP_DIR, name), text);
    sizes[name] = { bytes: Buffer.byteLength(text), gzip: gzipSync(text).length };
  }
  return { dir: APP_DIR, sizes };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { dir, sizes } = await buildApp();
  for (const [name, s] of Object.entries(sizes)) console.log(`${name.padEnd(14)} ${(s.bytes / 1024).toFixed(1).padStart(7)} KiB  gzip ${(s.gzip / 1024).toFixed(1).padStart(6)} KiB`);
  console.log(`app written to ${dir}`);
}
