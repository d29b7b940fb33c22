// Starts one PocketIC server for the whole run: the embedded replica (scripts/pocket-ic) unless
// POCKET_IC_BIN points at a real PocketIC server binary. Tests reach it with inject('PIC_URL').
// Also compiles the `ic-upload` command once (support/compiled_cli.ts): inject('CLI_JS').
import { PocketIcServer } from '@dfinity/pic';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { compileCli } from './support/compiled_cli.js';

declare module 'vitest' {
  export interface ProvidedContext {
    PIC_URL: string;
    CLI_JS: string;
  }
}

let server: PocketIcServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  const embedded = fileURLToPath(new URL('../scripts/pocket-ic', import.meta.url));
  process.env.POCKET_IC_BIN ??= embedded;
  // The server stops after `ttl` idle seconds (60 by default, here and in the real PocketIC).
  // Both workers can spend minutes in tests that run their own local network and never touch
  // it, so give it the whole run.
  server = await PocketIcServer.start({ showCanisterLogs: process.env.SHOW_CANISTER_LOGS === '1', ttl: 3600 });
  project.provide('PIC_URL', server.getUrl());
  project.provide('CLI_JS', await compileCli(fileURLToPath(new URL('..', import.meta.url))));
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
