// A CliContext for tests: in-memory streams, the fake service instead of a network, a temp folder.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { IcUploadService } from '../../../candid/ic_upload.js';
import { MemoryJournal } from '../../../src/client/journal.js';
import { sharpDeriver } from '../../../src/client/node/sharp_deriver.js';
import { resolveConnection, type Connection } from '../../../src/cli/config.js';
import type { CliContext } from '../../../src/cli/context.js';
import type { ReplicaOptions } from '../../../src/cli/replica.js';
import { main } from '../../../src/cli/main.js';
import { FakeUploadService } from '../../support/fake_upload_service.js';

function capture() {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8'), bytes: () => new Uint8Array(Buffer.concat(chunks)) };
}

export async function testCli(options: { env?: NodeJS.ProcessEnv; isTTY?: boolean } = {}) {
  const cwd = await mkdtemp(join(tmpdir(), 'ic-upload-cli-'));
  const env = { IC_UPLOAD_STATE_DIR: join(cwd, '.state'), IC_UPLOAD_CANISTER_ID: 'uxrrr-q7777-77774-qaaaq-cai', ...options.env };
  const fake = new FakeUploadService();
  const journal = new MemoryJournal();
  const connections: Connection[] = [];
  const replicaCalls: ReplicaOptions[] = [];
  /** Tests may put a wrapper (faults, a dead network) between the CLI and the fake. */
  const hooks: { wrap?: (service: IcUploadService) => IcUploadService } = {};
  let out = capture();
  let err = capture();
  const ctx: CliContext = {
    get stdout() {
      return out.stream;
    },
    get stderr() {
      return err.stream;
    },
    isTTY: options.isTTY ?? false,
    env,
    cwd,
    resolve: (o) => resolveConnection(o, env, cwd),
    connect: async (c) => {
      connections.push(c);
      return { actor: hooks.wrap ? hooks.wrap(fake) : fake, principal: fake.caller.toText(), journalNamespace: `${c.canisterId}:${fake.caller.toText()}` };
    },
    journal: () => journal,
    deriver: sharpDeriver,
    runReplica: async (o) => {
      replicaCalls.push(o);
    },
    onInterrupt: () => () => undefined
  };
  /** Runs the CLI; returns exit code and what it printed. */
  async function run(...argv: string[]) {
    out = capture();
    err = capture();
    const code = await main(argv, ctx);
    await new Promise((r) => setImmediate(r));
    return { code, stdout: out.text(), stderr: err.text(), stdoutBytes: out.bytes() };
  }
  return { run, cwd, env, fake, journal, connections, replicaCalls, hooks };
}
