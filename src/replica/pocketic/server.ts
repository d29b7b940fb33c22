// The PocketIC REST API (the subset @dfinity/pic 0.23 uses, spec sections A and B) over the
// embedded replica. Every operation completes before its response is sent: this server never
// answers 202 or 409, so pic-js never polls.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { JSONParse, JSONStringify } from 'json-with-bigint';
import { StateMachine } from '../state_machine.js';
import { cachingDataCertifier } from '../gateway/data_certificate.js';
import { loadOrCreateKeys, MemoryKeyStore } from '../http/keys.js';
import { BadIngressError, IngressRejectedError, SettingTimeIntoPastError, UnknownCanisterError } from '../errors.js';
import { toHex as hex } from '../../shared/bytes.js';
import { principalText } from '../principal.js';
import {
  WireError,
  b64,
  decodeCanisterCall,
  decodeMessageId,
  decodePrincipalField,
  encodeCallResult,
  field,
  fromB64,
  isBigIntLike,
  isString
} from './wire.js';

export interface PocketIcServerOptions {
  host?: string;
  port?: number;
  /** Instruction metering (the IC's counting and limits); default true. */
  metering?: boolean;
  /** Canister debug_print lines and replica diagnostics. */
  log?: (line: string) => void;
}

type Instance = LiveInstance | { machine: undefined; deleted: true; autoProgress?: undefined };

interface LiveInstance {
  machine: StateMachine;
  deleted: false;
  autoProgress?: NodeJS.Timeout;
}

type Handler = (ctx: { instance: LiveInstance; body: unknown; raw: Buffer }) => unknown;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
}

/** Routes whose bodies carry integers above 2^53 (u64 nanoseconds, u128 cycles). */
const BIGINT_ROUTES = new Set(['update/set_time', 'update/set_certified_time', 'update/add_cycles', 'read/get_time', 'read/get_cycles']);

export class PocketIcRestServer {
  private readonly instances: Instance[] = [];
  private readonly blobs = new Map<string, Uint8Array>();
  private server: Server | undefined;
  /** Requests in flight, and when the last one finished (for --ttl). */
  pending = 0;
  lastActivity = Date.now();

  constructor(private readonly options: PocketIcServerOptions = {}) {}

  async listen(): Promise<number> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  /** The replica behind instance `id` (for in-process benchmarks and the replica command). */
  machine(id: number): StateMachine | undefined {
    const instance = this.instances[id];
    return instance && !instance.deleted ? instance.machine : undefined;
  }

  async close(): Promise<void> {
    for (const i of this.instances) if (i.autoProgress) clearInterval(i.autoProgress);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.pending++;
    try {
      const raw = await readBody(req);
      const { status, body, text } = this.route(req.method ?? 'GET', new URL(req.url ?? '/', 'http://x').pathname, raw);
      if (text !== undefined) {
        res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
      } else {
        res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      }
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      if (status === 500) this.options.log?.(`pocket-ic: internal error: ${(e as Error).stack}`);
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: (e as Error).message }));
    } finally {
      this.pending--;
      this.lastActivity = Date.now();
    }
  }

  private route(method: string, path: string, raw: Buffer): { status: number; body?: string; text?: string } {
    const parts = path.split('/').filter(Boolean);
    if (parts[0] === 'status' && parts.length === 1) return { status: 200, body: 'null' };
    if (parts[0] === 'blobstore') return this.blobstore(method, parts, raw);
    if (parts[0] !== 'instances') throw new HttpError(404, `not implemented: ${method} ${path}`);
    if (parts.length === 1) {
      if (method === 'POST') return { status: 201, body: JSON.stringify(this.createInstance(parseJson(raw, false))) };
      if (method === 'GET') return { status: 200, body: JSON.stringify(this.instances.map((i) => (i.deleted ? 'Deleted' : 'Available'))) };
      throw new HttpError(404, `not implemented: ${method} ${path}`);
    }
    const id = Number(parts[1]);
    const instance = Number.isInteger(id) ? this.instances[id] : undefined;
    if (!instance || instance.deleted) throw new HttpError(404, `Instance not found: ${parts[1]}`);
    if (parts.length === 2 && method === 'DELETE') {
      if (instance.autoProgress) clearInterval(instance.autoProgress);
      // Ids are never reused; the slot keeps only a tombstone so the replica's memory is freed.
      this.instances[id] = { machine: undefined, deleted: true };
      return { status: 200, text: '' };
    }
    const routeName = parts.slice(2).join('/');
    const handler = this.routes[`${method} ${routeName}`];
    if (!handler) throw new HttpError(404, `not implemented: ${method} ${path}`);
    const bigints = BIGINT_ROUTES.has(routeName);
    const body = method === 'GET' ? undefined : parseJson(raw, bigints);
    try {
      const result = handler({ instance, body, raw });
      return { status: 200, body: result === undefined ? 'null' : bigints ? JSONStringify(result) : JSON.stringify(result) };
    } catch (e) {
      if (e instanceof IngressRejectedError) {
        return { status: 200, body: JSON.stringify(encodeCallResult({ kind: 'reject', ...e.reject }, false)) };
      }
      if (e instanceof BadIngressError) throw new HttpError(400, `BadIngressMessage(${JSON.stringify(e.message)})`);
      if (e instanceof WireError || e instanceof SettingTimeIntoPastError || e instanceof UnknownCanisterError) {
        throw new HttpError(400, e.message);
      }
      throw e;
    }
  }

  private createInstance(body: unknown): unknown {
    if (body !== null && typeof body !== 'object') throw new HttpError(400, 'the instance configuration must be a JSON object');
    const log = this.options.log ?? (() => {});
    let machine: StateMachine;
    machine = new StateMachine({
      metering: this.options.metering ?? true,
      log: (line) => log(`${formatTime(machine.time())} UTC: ${line}`)
    });
    // Queries carry a data certificate, as on PocketIC, so `http_request` answers certified
    // responses; each instance signs with a root key of its own.
    const keys = loadOrCreateKeys(new MemoryKeyStore());
    machine.dataCertifier = cachingDataCertifier(keys.rootSecretKey);
    const id = this.instances.push({ machine, deleted: false }) - 1;
    return { Created: { instance_id: id, topology: topology(machine), http_gateway_info: null } };
  }

  private blobstore(method: string, parts: string[], raw: Buffer): { status: number; body?: string; text?: string } {
    if (method === 'POST' && parts.length === 1) {
      const id = createHash('sha256').update(raw).digest('hex');
      this.blobs.set(id, new Uint8Array(raw));
      return { status: 200, text: id };
    }
    if (method === 'GET' && parts.length === 2) {
      const blob = this.blobs.get(parts[1]!);
      if (!blob) throw new HttpError(404, `blob ${parts[1]} not found`);
      return { status: 200, text: Buffer.from(blob).toString('latin1') };
    }
    throw new HttpError(404, `not implemented: ${method} /${parts.join('/')}`);
  }

  private readonly routes: Record<string, Handler> = {
    'POST update/submit_ingress_message': ({ instance, body }) => {
      const m = instance.machine;
      const messageId = m.submitIngress(decodeCanisterCall(body));
      return { Ok: { effective_principal: { SubnetId: b64(m.subnetId()) }, message_id: b64(messageId) } };
    },
    'POST update/await_ingress_message': ({ instance, body }) =>
      encodeCallResult(instance.machine.awaitIngress(decodeMessageId(body)), true),
    'POST read/ingress_status': ({ instance, body }) => {
      const raw = field<unknown>(body, 'raw_message_id', (v) => typeof v === 'object' && v !== null, 'an object');
      const status = instance.machine.ingressStatus(decodeMessageId(raw));
      return status?.kind === 'done' ? encodeCallResult(status.result, true) : null;
    },
    'POST read/query': ({ instance, body }) => encodeCallResult(instance.machine.query(decodeCanisterCall(body)), false),
    'GET read/get_time': ({ instance }) => ({ nanos_since_epoch: instance.machine.time() }),
    'POST update/set_time': ({ instance, body }) => {
      instance.machine.setTime(BigInt(field<bigint>(body, 'nanos_since_epoch', isBigIntLike, 'an integer')));
      return null;
    },
    'POST update/set_certified_time': ({ instance, body }) => {
      instance.machine.setTime(BigInt(field<bigint>(body, 'nanos_since_epoch', isBigIntLike, 'an integer')));
      instance.machine.tick();
      return null;
    },
    'POST update/tick': ({ instance }) => {
      instance.machine.tick();
      return null;
    },
    'POST read/get_cycles': ({ instance, body }) => ({ cycles: instance.machine.cycles(decodePrincipalField(body, 'canister_id')) }),
    'POST update/add_cycles': ({ instance, body }) => ({
      cycles: instance.machine.addCycles(
        decodePrincipalField(body, 'canister_id'),
        BigInt(field<bigint>(body, 'amount', isBigIntLike, 'an integer'))
      )
    }),
    'POST read/get_stable_memory': ({ instance, body }) => ({
      blob: b64(instance.machine.stableMemory(decodePrincipalField(body, 'canister_id')))
    }),
    'POST update/set_stable_memory': ({ instance, body }) => {
      const blobId = hex(fromB64(field<string>(body, 'blob_id', isString, 'a base64 string'), 'blob_id'));
      const blob = this.blobs.get(blobId);
      if (!blob) throw new WireError(`blob ${blobId} not found in the blob store`);
      instance.machine.setStableMemory(decodePrincipalField(body, 'canister_id'), blob);
      return null;
    },
    'POST read/get_controllers': ({ instance, body }) =>
      instance.machine.controllers(decodePrincipalField(body, 'canister_id')).map((p) => ({ principal_id: b64(p) })),
    'POST read/get_subnet': ({ instance, body }) =>
      instance.machine.canisterExists(decodePrincipalField(body, 'canister_id')) ? { subnet_id: b64(instance.machine.subnetId()) } : null,
    'GET _/topology': ({ instance }) => topology(instance.machine),
    'POST auto_progress': ({ instance }) => {
      instance.autoProgress ??= setInterval(() => {
        const m = instance.machine;
        try {
          m.setTime(BigInt(Date.now()) * 1_000_000n > m.time() ? BigInt(Date.now()) * 1_000_000n : m.time());
          m.tick();
        } catch (e) {
          this.options.log?.(`pocket-ic: auto-progress round failed: ${(e as Error).stack ?? e}`);
        }
      }, 100);
      return null;
    },
    'GET auto_progress': ({ instance }) => instance.autoProgress !== undefined,
    'POST stop_progress': ({ instance }) => {
      if (instance.autoProgress) clearInterval(instance.autoProgress);
      instance.autoProgress = undefined;
      return null;
    }
  };
}

function topology(machine: StateMachine) {
  const { start, end } = machine.canisterRange();
  return {
    subnet_configs: {
      [principalText(machine.subnetId())]: {
        subnet_kind: 'Application',
        subnet_seed: Array.from(machine.subnetId().subarray(0, 32)),
        size: 13,
        node_ids: [],
        instruction_config: 'Production',
        canister_ranges: [{ start: { canister_id: b64(start) }, end: { canister_id: b64(end) } }]
      }
    },
    default_effective_canister_id: { canister_id: b64(start) }
  };
}


function parseJson(raw: Buffer, bigints: boolean): unknown {
  if (raw.length === 0) return null;
  const text = raw.toString('utf8');
  try {
    return bigints ? JSONParse(text) : JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `malformed JSON body: ${(e as Error).message}`);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `YYYY-MM-DD HH:MM:SS.nnnnnnnnn`, the replica's log time format. */
export function formatTime(nanos: bigint): string {
  const ms = Number(nanos / 1_000_000n);
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${(nanos % 1_000_000_000n).toString().padStart(9, '0')}`;
}
