// The upload worker: holds the agent and the uploader, runs every canister call, and tells the
// page what its uploads are doing. Per file: pause (stop reading; the canister keeps the open
// upload), resume, cancel (the canister frees the upload). Unfinished files are kept in IndexedDB
// so a reload resumes them, sending only the chunks the canister does not have.
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { idlFactory, type Asset, type IcUploadService } from '../../candid/ic_upload.js';
import {
  blobSource,
  canvasDeriver,
  downloadAsset,
  IndexedDbJournal,
  journalNamespaceOf,
  Limiter,
  isPublic,
  pruneJournal,
  ServiceError,
  setPublicMethod,
  toHex,
  Uploader,
  type ByteSource
} from '../client/browser/index.js';
import { deletePending, loadPending, savePending, type PendingFile } from './app_db.js';
import type { AppConfig } from './config.js';
import { toAppError } from './errors.js';
import { identityFrom } from './identity_worker.js';
import type { AssetView, Features, FromWorker, JobView, ToWorker, WorkerCall } from './protocol.js';

const scope = self as unknown as { postMessage(message: FromWorker): void; onmessage: ((event: MessageEvent<ToWorker>) => void) | null };
const post = (message: FromWorker) => scope.postMessage(message);

/** Progress reaches the page at most this often (state changes go at once). */
const PROGRESS_INTERVAL_MS = 100;
const FILES_AT_ONCE = 3;
const LIST_PAGE = 100;

/** Holds reads while a file is paused; a cancel releases (and fails) the wait. */
class Gate {
  private opened: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;
  get closed(): boolean {
    return this.release !== undefined;
  }
  close(): void {
    if (this.release) return;
    this.opened = new Promise((resolve) => (this.release = resolve));
  }
  open(): void {
    this.release?.();
    this.release = undefined;
  }
  wait(signal: AbortSignal): Promise<void> {
    if (!this.release) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      void this.opened.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }
}

interface Job {
  view: JobView;
  file: File;
  makePublic: boolean;
  controller: AbortController;
  gate: Gate;
}

let actor: IcUploadService;
let uploader: Uploader;
let namespace: string;
let features: Features;
let config: AppConfig;
const jobs = new Map<string, Job>();
const files = new Limiter(FILES_AT_ONCE);
let progressTimer: ReturnType<typeof setTimeout> | undefined;

function publishJobs(now = false): void {
  if (now) {
    if (progressTimer) clearTimeout(progressTimer);
    progressTimer = undefined;
    post({ type: 'jobs', jobs: [...jobs.values()].map((j) => ({ ...j.view })) });
    return;
  }
  progressTimer ??= setTimeout(() => publishJobs(true), PROGRESS_INTERVAL_MS);
}

function pausable(source: ByteSource, gate: Gate, signal: AbortSignal): ByteSource {
  return { ...source, read: async (start, end) => (await gate.wait(signal), source.read(start, end)) };
}

async function init(message: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  config = message.config;
  const identity = await identityFrom(message.identity);
  const agent = await HttpAgent.create({ host: config.host, identity, shouldFetchRootKey: config.network === 'local' });
  actor = Actor.createActor<IcUploadService>(idlFactory, { agent, canisterId: config.canisterId });
  namespace = (await journalNamespaceOf(actor))!;
  const journal = new IndexedDbJournal();
  uploader = new Uploader({ actor, journal, journalNamespace: namespace, deriver: canvasDeriver, concurrency: { files: FILES_AT_ONCE, chunks: 4 } });
  const methods = actor as unknown as Record<string, unknown>;
  features = { visibility: typeof methods.set_public === 'function', http: typeof methods.http_request === 'function' };
  post({ type: 'ready', principal: identity.getPrincipal().toText(), features });
  // Forget what can no longer resume, then resume what a reload or a closed tab interrupted.
  await pruneJournal(journal, { namespace, now: Date.now(), actor }).catch(() => undefined);
  for (const pending of await loadPending(namespace)) start(pending, true);
}

function start(p: PendingFile, resumed: boolean): void {
  const job: Job = {
    file: p.file,
    makePublic: p.makePublic,
    controller: new AbortController(),
    gate: new Gate(),
    view: { id: p.id, assetId: p.assetId, fileName: p.file.name, size: p.file.size, state: 'queued', acknowledged: 0, total: p.file.size, rate: 0, etaSeconds: undefined, resumed }
  };
  jobs.set(p.id, job);
  publishJobs(true);
  void files.run(() => run(job));
}

async function run(job: Job): Promise<void> {
  const { view, controller } = job;
  if (controller.signal.aborted) return;
  view.state = job.gate.closed ? 'paused' : 'uploading';
  publishJobs(true);
  const source = pausable(blobSource(job.file, job.file.name), job.gate, controller.signal);
  const [outcome] = await uploader.uploadAll([{ source, assetId: view.assetId }], {
    signal: controller.signal,
    onProgress: ({ overall }) => {
      view.acknowledged = overall.bytesAcknowledged;
      view.total = overall.size;
      view.rate = overall.rate;
      view.etaSeconds = overall.etaSeconds;
      publishJobs();
    },
    onState: (key, state) => {
      if (state.kind === 'reading' && state.resumed && key.endsWith('#original')) view.resumed = true;
      if (state.kind === 'finishing' && key.endsWith('#original')) {
        view.state = 'finishing';
        publishJobs(true);
      }
    }
  });
  if (outcome!.status === 'finished') {
    const setPublic = setPublicMethod(actor);
    if (job.makePublic && setPublic) {
      // Stored either way; if it cannot be made public the row says why and it stays private.
      await setPublic(view.assetId, true)
        .then((answer) => {
          if ('Err' in answer) throw new ServiceError(answer.Err, view.fileName, 'set_public');
        })
        .catch((error: unknown) => (view.error = toAppError(error)));
    }
    view.state = 'finished';
    view.acknowledged = view.total;
    view.etaSeconds = 0;
    await deletePending(view.id);
    post({ type: 'changed' });
  } else if (outcome!.status === 'aborted') {
    view.state = 'cancelled';
    await deletePending(view.id);
  } else {
    view.state = 'failed';
    view.error = toAppError(outcome!.error);
    // A refusal is final; a network failure keeps the file for a retry (resume) or a reload.
    if (outcome!.error instanceof ServiceError) await deletePending(view.id);
  }
  publishJobs(true);
}

async function add(message: Extract<ToWorker, { type: 'add' }>): Promise<void> {
  for (const { file, assetId } of message.files) {
    const pending: PendingFile = { id: crypto.randomUUID(), file, assetId, makePublic: message.makePublic, namespace };
    // Kept for resume after a reload; without room for it the upload still runs, unkept.
    await savePending(pending).catch(() => undefined);
    start(pending, false);
  }
}

function control(message: Extract<ToWorker, { type: 'pause' | 'resume' | 'cancel' }>): void {
  const job = jobs.get(message.id);
  if (!job) return;
  const { view } = job;
  if (message.type === 'pause' && (view.state === 'uploading' || view.state === 'queued')) {
    job.gate.close();
    view.state = 'paused';
  } else if (message.type === 'resume') {
    if (view.state === 'paused') {
      job.gate.open();
      view.state = 'uploading';
    } else if (view.state === 'failed' && view.error?.kind === 'network') {
      // Retry: a fresh run finds the open upload through the journal and sends what is missing.
      job.controller = new AbortController();
      view.error = undefined;
      view.state = 'queued';
      void files.run(() => run(job));
    }
  } else if (message.type === 'cancel' && view.state !== 'finished' && view.state !== 'cancelled') {
    job.controller.abort(new Error('cancelled'));
    job.gate.open();
    if (view.state === 'failed') {
      view.state = 'cancelled';
      void deletePending(view.id);
    }
  }
  publishJobs(true);
}

function assetView(asset: Asset): AssetView {
  const variants = asset.variants.map(([name, b]) => ({ name, size: Number(b.size), contentType: b.content_type, sha256: toHex(b.sha256), fileName: b.file_name }));
  const original = asset.variants.find(([name]) => name === 'original')?.[1] ?? asset.variants[0]?.[1];
  return {
    assetId: asset.asset_id,
    variants,
    public: isPublic(asset),
    createdAtMs: original ? Number(original.created_at_ns / 1_000_000n) : 0
  };
}

async function perform(call: WorkerCall): Promise<unknown> {
  switch (call.op) {
    case 'list': {
      const out: AssetView[] = [];
      let after: [] | [string] = [];
      for (;;) {
        const page = await actor.list_assets(after, LIST_PAGE);
        out.push(...page.map(assetView));
        if (page.length < LIST_PAGE) return out;
        after = [page[page.length - 1]!.asset_id];
      }
    }
    case 'read': {
      // Verified: every chunk through a certified query, the whole against the blob's SHA-256.
      const { blob, bytes } = await downloadAsset(actor, call.assetId, call.variant);
      return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: blob.content_type });
    }
    case 'delete': {
      const answer = await actor.delete_asset(call.assetId);
      if ('Err' in answer) throw new ServiceError(answer.Err, call.assetId, 'delete_asset');
      return null;
    }
    case 'setPublic': {
      const setPublic = setPublicMethod(actor);
      if (!setPublic) throw new Error('this canister cannot make assets public or private (its interface has no set_public)');
      const answer = await setPublic(call.assetId, call.public);
      if ('Err' in answer) throw new ServiceError(answer.Err, call.assetId, 'set_public');
      return assetView(answer.Ok);
    }
  }
}

scope.onmessage = (event) => {
  const message = event.data;
  switch (message.type) {
    case 'init':
      init(message).catch((error: unknown) => post({ type: 'fatal', error: toAppError(error) }));
      return;
    case 'add':
      void add(message);
      return;
    case 'pause':
    case 'resume':
    case 'cancel':
      control(message);
      return;
    case 'request':
      perform(message.call).then(
        (value) => post({ type: 'reply', requestId: message.requestId, ok: true, value }),
        (error: unknown) => post({ type: 'reply', requestId: message.requestId, ok: false, error: toAppError(error) })
      );
      return;
  }
};
