// `npm run bench`: measures what the issues set targets for and prints a table per section;
// writes every figure to bench/results.json. Figures are medians of a few runs on this machine.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { replicaBench } from './replica.js';
import { uploadBench } from './upload.js';
import { httpBench } from './http.js';
import { browserBench } from './browser.js';
import { gatewayBench } from './gateway.js';
import { startBench } from './start.js';
import { table } from './support.js';

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
const results: Record<string, unknown> = {
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version },
  date: new Date().toISOString()
};
for (const [key, title, run] of sections) {
  if (only.length && !only.includes(key)) continue;
  console.log(`\n## ${title}\n`);
  const { rows, json } = await run();
  console.log(table(rows));
  results[key] = { title, ...(json as object) };
}
writeFileSync('bench/results.json', JSON.stringify(results, null, 2) + '\n');
console.log('\nwrote bench/results.json');
