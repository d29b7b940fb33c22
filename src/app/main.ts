// The page: sign-in, the drop zone and pickers, the upload list and the gallery. It only draws and
// forwards: every canister call runs in the worker (worker.ts).
import { assetUrl, configFromLocation, type AppConfig } from './config.js';
import { filesFromDataTransfer, filesFromInput, type PickedFile } from './drop.js';
import { formatBytes, formatEta, formatRate } from './format.js';
import { describeAppError } from './messages.js';
import type { AppError, AssetView, Features, IdentityGrant, JobView } from './protocol.js';
import { UploadWorker, WorkerCallError } from './worker_client.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let config: AppConfig;
let worker: UploadWorker;
let features: Features = { visibility: false, http: false };
const jobRows = new Map<string, HTMLElement>();
const objectUrls = new Set<string>();

/** The network-down message is showing: the next call that gets through replaces it. */
let offline = false;

/** Announces a message (errors stay until replaced; the region is aria-live). */
function say(text: string, isError = false): void {
  offline = false;
  const box = $('messages');
  box.textContent = text;
  box.classList.toggle('error', isError);
}

function sayError(error: unknown): void {
  const appError: AppError = error instanceof WorkerCallError ? error.error : { kind: 'other', message: error instanceof Error ? error.message : String(error) };
  say(describeAppError(appError), true);
  offline = appError.kind === 'network';
}

function reachedNetwork(): void {
  if (offline) say('Connected again.');
  offline = false;
}

/** A URL of one of the app's own files: carries `?canisterId=` where the address needs it. */
function ownFile(name: string): string {
  return assetUrl(config, name);
}

function button(label: string, onClick: () => void, className = ''): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  if (className) b.className = className;
  b.addEventListener('click', onClick);
  return b;
}

// ---- uploads ----------------------------------------------------------------------------------

function addFiles(picked: PickedFile[]): void {
  if (picked.length === 0) return;
  const makePublic = ($('make-public') as HTMLInputElement).checked;
  worker.send({ type: 'add', files: picked.map((p) => ({ file: p.file, assetId: p.path })), makePublic });
  say(`${picked.length} file${picked.length === 1 ? '' : 's'} added.`);
}

function jobRow(job: JobView): HTMLElement {
  let row = jobRows.get(job.id);
  if (row) return row;
  row = document.createElement('li');
  row.className = 'job';
  row.dataset.jobId = job.id;
  row.dataset.assetId = job.assetId;
  const name = document.createElement('span');
  name.className = 'job-name';
  name.textContent = job.assetId;
  const bar = document.createElement('progress');
  bar.max = 1;
  bar.setAttribute('aria-label', `progress of ${job.assetId}`);
  const detail = document.createElement('span');
  detail.className = 'job-detail';
  const actions = document.createElement('span');
  actions.className = 'job-actions';
  actions.append(
    button('Pause', () => worker.send({ type: 'pause', id: job.id }), 'pause'),
    button('Resume', () => worker.send({ type: 'resume', id: job.id }), 'resume'),
    button('Cancel', () => worker.send({ type: 'cancel', id: job.id }), 'cancel')
  );
  const error = document.createElement('span');
  error.className = 'job-error';
  error.setAttribute('role', 'status');
  row.append(name, bar, detail, actions, error);
  $('jobs').prepend(row);
  jobRows.set(job.id, row);
  return row;
}

const STATE_LABEL: Record<JobView['state'], string> = {
  queued: 'waiting',
  uploading: 'uploading',
  paused: 'paused',
  finishing: 'verifying',
  finished: 'done',
  failed: 'failed',
  cancelled: 'cancelled'
};

function renderJobs(jobs: JobView[]): void {
  let size = 0;
  let acknowledged = 0;
  let rate = 0;
  let done = 0;
  for (const job of jobs) {
    const row = jobRow(job);
    row.dataset.state = job.state;
    const fraction = job.total > 0 ? job.acknowledged / job.total : job.state === 'finished' ? 1 : 0;
    row.querySelector('progress')!.value = fraction;
    const live = job.state === 'uploading' || job.state === 'finishing';
    row.querySelector('.job-detail')!.textContent =
      `${STATE_LABEL[job.state]}${job.resumed ? ' (resumed)' : ''} · ${formatBytes(job.acknowledged)} of ${formatBytes(job.total)}` +
      (live ? ` · ${formatRate(job.rate)} · ${formatEta(job.etaSeconds)} left` : '');
    const [pause, resume, cancel] = Array.from(row.querySelectorAll('button'));
    pause!.hidden = !(job.state === 'uploading' || job.state === 'queued');
    resume!.hidden = !(job.state === 'paused' || (job.state === 'failed' && job.error?.kind === 'network'));
    cancel!.hidden = job.state === 'finished' || job.state === 'cancelled' || (job.state === 'failed' && job.error?.kind !== 'network');
    row.querySelector('.job-error')!.textContent = job.error ? describeAppError(job.error) : '';
    if (job.state !== 'cancelled') {
      // A cancelled file leaves the overall bytes: nothing more of it will be sent.
      size += job.total;
      acknowledged += job.acknowledged;
    }
    if (live) rate += job.rate;
    if (job.state === 'finished' || job.state === 'failed' || job.state === 'cancelled') done++;
  }
  const remaining = size - acknowledged;
  const summary = $('overall');
  summary.hidden = jobs.length === 0;
  summary.querySelector('progress')!.value = size > 0 ? acknowledged / size : 0;
  summary.querySelector('.overall-detail')!.textContent =
    `${done} of ${jobs.length} files · ${formatBytes(acknowledged)} of ${formatBytes(size)}` +
    (done < jobs.length ? ` · ${formatRate(rate)} · ${formatEta(rate > 0 ? remaining / rate : undefined)} left` : '');
}

// ---- gallery ----------------------------------------------------------------------------------

function isImage(asset: AssetView): boolean {
  return asset.variants.some((v) => v.contentType.startsWith('image/'));
}

async function showThumbnail(img: HTMLImageElement, asset: AssetView): Promise<void> {
  const thumb = asset.variants.find((v) => v.name === 'thumb') ?? asset.variants.find((v) => v.name === 'original' && v.contentType.startsWith('image/') && v.size < 2_000_000);
  if (!thumb) return;
  if (asset.public && features.http) {
    img.src = assetUrl(config, asset.assetId, thumb.name); // certified by the gateway
    return;
  }
  const blob = await worker.call<Blob>({ op: 'read', assetId: asset.assetId, variant: thumb.name });
  const url = URL.createObjectURL(blob);
  objectUrls.add(url);
  img.src = url;
}

async function download(asset: AssetView): Promise<void> {
  say(`Downloading ${asset.assetId}…`);
  const blob = await worker.call<Blob>({ op: 'read', assetId: asset.assetId, variant: 'original' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = asset.variants.find((v) => v.name === 'original')?.fileName || asset.assetId.split('/').pop() || 'download';
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  say(`Downloaded ${asset.assetId} (verified against its SHA-256).`);
}

function card(asset: AssetView): HTMLElement {
  const li = document.createElement('li');
  li.className = 'asset';
  li.dataset.assetId = asset.assetId;
  const figure = document.createElement('div');
  figure.className = 'thumb';
  if (isImage(asset)) {
    const img = document.createElement('img');
    img.alt = asset.assetId;
    img.loading = 'lazy';
    figure.append(img);
    showThumbnail(img, asset).catch(() => figure.classList.add('no-thumb'));
  } else {
    figure.textContent = (asset.assetId.split('.').pop() ?? '').slice(0, 4).toUpperCase() || 'FILE';
  }
  const name = document.createElement('span');
  name.className = 'asset-name';
  name.textContent = asset.assetId;
  const original = asset.variants.find((v) => v.name === 'original');
  const meta = document.createElement('span');
  meta.className = 'asset-meta';
  meta.textContent = `${formatBytes(original?.size ?? 0)}${asset.public === undefined ? '' : asset.public ? ' · public' : ' · private'}`;
  const actions = document.createElement('span');
  actions.className = 'asset-actions';
  if (features.visibility && asset.public !== undefined) {
    actions.append(
      button(asset.public ? 'Make private' : 'Make public', () =>
        worker
          .call<AssetView>({ op: 'setPublic', assetId: asset.assetId, public: !asset.public })
          .then((a) => (say(`${a.assetId} is now ${a.public ? 'public' : 'private'}.`), refreshGallery()))
          .catch(sayError)
      , 'toggle-public')
    );
  }
  if (asset.public && features.http) {
    actions.append(
      button('Copy link', () => {
        const url = assetUrl(config, asset.assetId);
        navigator.clipboard.writeText(url).then(() => say(`Copied ${url}`), () => say(url));
      }, 'copy-link')
    );
  }
  actions.append(
    button('Download', () => void download(asset).catch(sayError), 'download'),
    button('Delete', () => {
      if (!confirm(`Delete ${asset.assetId}? This cannot be undone.`)) return;
      worker
        .call({ op: 'delete', assetId: asset.assetId })
        .then(() => (say(`Deleted ${asset.assetId}.`), refreshGallery()))
        .catch(sayError);
    }, 'delete')
  );
  li.append(figure, name, meta, actions);
  return li;
}

let refreshing: Promise<void> | undefined;
function refreshGallery(): Promise<void> {
  refreshing ??= (async () => {
    try {
      const assets = await worker.call<AssetView[]>({ op: 'list' });
      reachedNetwork();
      for (const url of objectUrls) URL.revokeObjectURL(url);
      objectUrls.clear();
      const list = $('gallery-list');
      list.replaceChildren(...assets.map(card));
      $('gallery-empty').hidden = assets.length > 0;
    } catch (error) {
      sayError(error);
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

// ---- start ------------------------------------------------------------------------------------

function wireInputs(): void {
  const zone = $('drop-zone');
  const filesInput = $('file-input') as HTMLInputElement;
  const folderInput = $('folder-input') as HTMLInputElement;
  $('choose-files').addEventListener('click', () => filesInput.click());
  $('choose-folder').addEventListener('click', () => folderInput.click());
  for (const input of [filesInput, folderInput]) {
    input.addEventListener('change', () => {
      if (input.files) addFiles(filesFromInput(input.files));
      input.value = '';
    });
  }
  zone.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      filesInput.click();
    }
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer) filesFromDataTransfer(e.dataTransfer).then(addFiles, sayError);
  });
  $('refresh').addEventListener('click', () => void refreshGallery());
}

async function grantForNetwork(): Promise<IdentityGrant | undefined> {
  if (config.network === 'local') return undefined; // the worker makes and keeps the local key
  const ii = (await import(ownFile('signin_ii.js'))) as typeof import('./signin_ii.js');
  const restored = await ii.restore();
  if (restored) return restored;
  const signIn = $('sign-in') as HTMLButtonElement;
  signIn.hidden = false;
  signIn.focus();
  return new Promise((resolve, reject) => signIn.addEventListener('click', () => ii.signIn().then((g) => ((signIn.hidden = true), resolve(g)), reject), { once: true }));
}

async function main(): Promise<void> {
  try {
    config = configFromLocation(window.location);
  } catch (error) {
    sayError(error);
    return;
  }
  $('network').textContent = config.network === 'local' ? 'local network' : 'Internet Computer';
  worker = new UploadWorker(new Worker(ownFile('worker.js')), (report) => {
    switch (report.type) {
      case 'ready':
        features = report.features;
        $('principal').textContent = report.principal;
        ($('make-public') as HTMLInputElement).disabled = !features.visibility;
        document.body.dataset.ready = 'true';
        void refreshGallery();
        return;
      case 'fatal':
        say(describeAppError(report.error), true);
        return;
      case 'jobs':
        renderJobs(report.jobs);
        return;
      case 'changed':
        void refreshGallery();
        return;
    }
  });
  wireInputs();
  try {
    worker.send({ type: 'init', config, identity: await grantForNetwork() });
  } catch (error) {
    sayError(error);
  }
}

void main();
