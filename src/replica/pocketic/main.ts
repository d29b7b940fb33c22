// The `pocket-ic` process contract (spec A): the port file written once the server listens,
// exit at once if another server owns the port file, --ttl idle shutdown, SIGTERM/SIGINT/SIGHUP.
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { PocketIcRestServer } from './server.js';

interface Args {
  portFile?: string;
  port: number;
  ip: string;
  ttl: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { port: 0, ip: '127.0.0.1', ttl: 60 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i] ?? '';
    switch (flag) {
      case '--port-file':
        args.portFile = value();
        break;
      case '--port':
      case '-p':
        args.port = Number(value());
        break;
      case '--ip-addr':
        args.ip = value();
        break;
      case '--ttl':
        args.ttl = Number(value());
        break;
      default:
        // The real server has more flags (--log-levels, --mainnet-routing-table…): accepted, ignored.
        if (flag.startsWith('--') && inline === undefined && argv[i + 1] && !argv[i + 1]!.startsWith('--')) i++;
    }
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let portFd: number | undefined;
  if (args.portFile) {
    try {
      portFd = openSync(args.portFile, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') process.exit(0); // another server owns it
      throw e;
    }
  }
  const server = new PocketIcRestServer({
    host: args.ip,
    port: args.port,
    metering: process.env.IC_UPLOAD_REPLICA_METERING !== '0',
    log: (line) => process.stderr.write(line + '\n')
  });
  const port = await server.listen();
  if (portFd !== undefined) {
    writeSync(portFd, `${port}\n`);
    closeSync(portFd);
  } else {
    process.stdout.write(`${port}\n`);
  }
  let stopping = false;
  const terminate = async () => {
    if (stopping) return;
    stopping = true;
    if (args.portFile) {
      try {
        unlinkSync(args.portFile);
      } catch {
        /* already gone */
      }
    }
    await server.close();
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => void terminate());
  setInterval(() => {
    if (server.pending === 0 && Date.now() - server.lastActivity > args.ttl * 1000) void terminate();
  }, 1000).unref();
}

main().catch((e) => {
  process.stderr.write(`pocket-ic: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
