// The folder of ic-upload's package.json, found from this module's own place: the CLI runs from
// its sources (src/cli), from the package's compiled output (dist/src/cli) or from the copy
// `npm start` compiles (scripts/start.mjs), each at another depth below it.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
