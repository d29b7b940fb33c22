#!/usr/bin/env node
// Runs the TypeScript CLI directly (no compile step) by registering tsx's ESM loader first.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
