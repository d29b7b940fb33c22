#!/usr/bin/env node
// In a clone of the repository the CLI runs from its TypeScript sources through tsx (a
// devDependency), so an edit takes effect without a build; the npm package ships no sources and
// runs the compiled output in dist/ instead.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
let cli;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../src/cli/main.ts');
} else {
  cli = await import('../dist/src/cli/main.js');
}
process.exitCode = await cli.main(process.argv.slice(2));
