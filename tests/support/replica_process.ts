// `ic-upload replica` as its own process, the way a user runs it: the command (compiled once per
// run, support/compiled_cli.ts) with its state in a folder, announcing its URL and canister id as
// one JSON line on stdout. The tests of kills, restarts and replays start it, kill it and start
// it again on the same folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, inject } from 'vitest';

export interface ReplicaProcess {
  child: ChildProcess;
  url: string;
  canisterId: string;
}

export interface ReplicaOptions {
  /** Added to the environment (e.g. IC_UPLOAD_CHECKPOINT_BYTES). */
  env?: Record<string, string>;
  /** `pipe` to read what it prints on stderr; by default the test's own stderr. */
  stderr?: 'inherit' | 'pipe';
}

export interface ReplicaProcesses {
  /** Spawns the replica on `stateDir`, in `cwd` (its CLI state goes to `cwd/cli-state`). */
  spawn(stateDir: string, cwd: string, options?: ReplicaOptions): ChildProcess;
  /** Spawns it and waits for its JSON line. */
  start(stateDir: string, cwd: string, options?: ReplicaOptions): Promise<ReplicaProcess>;
}

/** Replica processes for one test file: every one it started is SIGKILLed after its tests. */
export function replicaProcesses(): ReplicaProcesses {
  const children: ChildProcess[] = [];
  afterAll(() => children.forEach((child) => child.kill('SIGKILL')));
  const spawnReplica = (stateDir: string, cwd: string, options: ReplicaOptions = {}): ChildProcess => {
    const child = spawn(process.execPath, [inject('CLI_JS'), 'replica', '--state-dir', stateDir, '--port', '0', '--json'], {
      cwd,
      env: { ...process.env, IC_UPLOAD_STATE_DIR: join(cwd, 'cli-state'), ...options.env },
      stdio: ['ignore', 'pipe', options.stderr ?? 'inherit']
    });
    children.push(child);
    return child;
  };
  return {
    spawn: spawnReplica,
    async start(stateDir, cwd, options) {
      const child = spawnReplica(stateDir, cwd, options);
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`replica exited with ${code}`)));
      });
      const { url, canisterId } = JSON.parse(line) as { url: string; canisterId: string };
      return { child, url, canisterId };
    }
  };
}

/** Resolves once `child` has exited (at once if it already has). */
export async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
}

/** SIGKILL, no chance to save, and wait for the exit. */
export async function killReplica(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  await exited(child);
}
