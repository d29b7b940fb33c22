// `npm run bench`: measures what the issues set targets for and prints a table per section;
// writes every figure to bench/results.json. Figures are medians of a few runs on this machine.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { replicaBench } from './replica.js';
import { uploadBench } from './upload.js';
import { httpBench } from './http.js';
import { browserBench } from './browser.js';
import { gatewayBench } from './gateway.js';
import { startBench } from './start.js';
import { fmt, table } from './support.js';

type Section = [key: string, title: string, run: () => Promise<{ rows: Array<Record<string, string | number>>; json: unknown }>];
const sections: Section[] = [
  ['replica', 'Embedded replica: a 1.9 MB update (hash_bench.hash_ours)', replicaBench],
  ['uploads', 'Uploads: ic_upload on the embedded replica through pic-js', uploadBench],
  ['http', 'Uploads over the IC HTTP interface (local network, agent-js)', httpBench],
  ['start', '`npm start` with nothing changed', startBench],
  ['gateway', 'Certified HTTP serving through the local gateway', gatewayBench],
  ['browser', 'The browser app (headless Chromium) on the local network', browserBench]
];

const only = process.argv.slice(2);
const RESULTS = 'bench/results.json';
// A run of some sections keeps the other sections' figures from earlier runs, each with its own date.
const earlier: Record<string, unknown> = only.length && existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : {};
const results: Record<string, unknown> = {
  ...earlier,
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version },
  date: new Date().toISOString()
};
for (const [key, title, run] of sections) {
  if (only.length && !only.includes(key)) continue;
  console.log(`\n## ${title}\n`);
  const { rows, json } = await run();
  console.log(table(rows));
  results[key] = { title, date: new Date().toISOString(), ...(json as object) };
}
// The local network's four targets in one place, from the sections of this run that measured them.
const http = (only.length === 0 || only.includes('http') ? results.http : undefined) as Record<string, number> | undefined;
const start = (only.length === 0 || only.includes('start') ? results.start : undefined) as Record<string, number> | undefined;
if (http || start) {
  const targets = {
    ...(http && {
      bytes_written_per_uploaded_byte_100mb: { value: http.bytes_written_per_uploaded_byte_100mb, target: '≤ 3', met: http.bytes_written_per_uploaded_byte_100mb! <= 3 },
      upload_21mb_http_over_picjs: { value: http.upload_21mb_http_over_picjs, target: '≥ 0.9', met: http.upload_21mb_http_over_picjs! >= 0.9 },
      small_files_per_second: { value: http.small_files_per_second, target: '≥ 25', met: http.small_files_per_second! >= 25 },
      small_files_http_over_picjs: { value: http.small_files_http_over_picjs, target: '≥ 0.8', met: http.small_files_http_over_picjs! >= 0.8 }
    }),
    ...(start && { start_seconds: { value: start.start_seconds, target: '≤ 4 s', met: start.start_seconds! <= 4 } })
  };
  console.log('\n## Local network targets (this run)\n');
  console.log(table(Object.entries(targets).map(([what, t]) => ({ what, value: fmt(t.value!, 2), target: t.target, met: t.met ? 'yes' : 'no' }))));
  results.local_network_targets = { ...(earlier.local_network_targets as object | undefined), ...targets };
}
writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');
console.log('\nwrote bench/results.json');
