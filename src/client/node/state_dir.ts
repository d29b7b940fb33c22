// Where per-user state lives: $XDG_STATE_HOME/ic-upload, else ~/.local/state/ic-upload.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.IC_UPLOAD_STATE_DIR) return env.IC_UPLOAD_STATE_DIR;
  const base = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(base, 'ic-upload');
}
