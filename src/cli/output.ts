// How results look: human lines by default, one JSON document with --json. Formatting functions
// are pure so tests check them without a network.
//
// The --json contract: every command prints exactly one JSON object on stdout (with `get -o -`,
// whose stdout is the file, on stderr). It always has `ok: boolean`; when `ok` is false it has
// `error: { message, code? }`. Commands over many items (put, rm) list them under `assets`, each
// with its own `ok` and, when that is false, its own `error`. See `JsonError` for the codes.
import type { Asset, BlobInfo, UploadStatus } from '../../candid/ic_upload.js';
import type { AssetOutcome } from '../client/uploader.js';
import { toHex } from '../shared/bytes.js';
import { describeError, sentence } from './errors.js';

/**
 * A failure in --json output. `message` is the sentence printed after `error:` on stderr; `code`,
 * when known, is one of: the canister's Err variant (`NotFound`, `Forbidden`, `InvalidArgument`,
 * `LimitExceeded`, …), an IC error code (`IC0301`, `IC0503`, …), `CanisterNotOnNetwork`,
 * `NetworkUnreachable`, `Timeout`, `HTTP<status>`, a Node errno (`ENOENT`, …) or `Usage`.
 */
export interface JsonError {
  message: string;
  code?: string;
}

export function errorJson(error: unknown): JsonError {
  const { message, code } = describeError(error);
  return code === undefined ? { message: sentence(message) } : { message: sentence(message), code };
}

/** The document printed when a command fails as a whole. */
export function failureJson(error: unknown): { ok: false; error: JsonError } {
  return { ok: false, error: errorJson(error) };
}

export function formatBytes(n: number | bigint): string {
  const v = Number(n);
  if (v < 1000) return `${v} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let x = v;
  let i = -1;
  do {
    x /= 1000;
    i++;
  } while (x >= 1000 && i < units.length - 1);
  return `${x.toFixed(x < 10 ? 2 : x < 100 ? 1 : 0)} ${units[i]}`;
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** JSON-ready form of a blob record: ids as strings (they may exceed 2^53), sizes as numbers. */
export function blobJson(b: BlobInfo) {
  return {
    blobId: b.blob_id.toString(),
    assetId: b.asset_id,
    variant: b.variant,
    fileName: b.file_name,
    contentType: b.content_type,
    size: Number(b.size),
    sha256: toHex(b.sha256),
    chunkSize: b.chunk_size,
    chunkCount: b.chunk_count,
    owner: b.owner.toText(),
    createdAtNs: b.created_at_ns.toString()
  };
}

export function outcomeJson(o: AssetOutcome) {
  return {
    ok: o.status === 'finished',
    assetId: o.assetId,
    fileName: o.fileName,
    status: o.status,
    resumed: o.resumed,
    bytesSent: o.bytesSent,
    variants: Object.fromEntries(Object.entries(o.variants).map(([v, b]) => [v, blobJson(b)])),
    warnings: o.warnings,
    ...(o.status === 'finished' ? {} : { error: errorJson(o.error) })
  };
}

export function outcomeLine(o: AssetOutcome): string {
  const original = o.variants.original;
  const extra = Object.keys(o.variants)
    .filter((v) => v !== 'original')
    .sort();
  const variants = extra.length ? ` + ${extra.join(', ')}` : '';
  const resumed = o.resumed ? `, resumed: ${formatBytes(o.bytesSent)} sent` : '';
  if (o.status === 'finished') return `uploaded ${o.assetId} (${formatBytes(original?.size ?? 0n)}${variants}${resumed}) sha256 ${toHex(original?.sha256 ?? []).slice(0, 16)}`;
  return `${o.status === 'aborted' ? 'interrupted' : 'failed'} ${o.assetId}: ${o.error.message}`;
}

/** put's last line: files, sizes, and the rate of the bytes this run actually sent. */
export function putSummary(outcomes: AssetOutcome[], seconds: number): string {
  const done = outcomes.filter((o) => o.status === 'finished').length;
  const stored = outcomes.reduce((n, o) => n + Number(o.variants.original?.size ?? 0n), 0);
  const sent = outcomes.reduce((n, o) => n + o.bytesSent, 0);
  const resumed = outcomes.filter((o) => o.resumed).length;
  const rate = seconds > 0 ? ` (${formatBytes(Math.round(sent / seconds))}/s)` : '';
  return `${done} of ${outcomes.length} uploaded (${formatBytes(stored)}${resumed ? `, ${resumed} resumed` : ''}), sent ${formatBytes(sent)} in ${seconds.toFixed(1)}s${rate}`;
}

/** `urlOf` gives a public asset's URL (absent for private ones). */
export function assetJson(a: Asset, urlOf?: (assetId: string) => string) {
  return {
    assetId: a.asset_id,
    owner: a.owner.toText(),
    public: a.public,
    ...(a.public && urlOf ? { url: urlOf(a.asset_id) } : {}),
    variants: Object.fromEntries(a.variants.map(([v, b]) => [v, blobJson(b)]))
  };
}

/** `ls` as a table: asset id, original size, variants, and the URL of a public asset. */
export function assetTable(assets: Asset[], urlOf?: (assetId: string) => string): string {
  if (assets.length === 0) return 'no assets\n';
  const rows = assets.map((a) => {
    const original = a.variants.find(([v]) => v === 'original')?.[1];
    const total = a.variants.reduce((n, [, b]) => n + b.size, 0n);
    const url = a.public ? (urlOf?.(a.asset_id) ?? 'public') : '-';
    return [a.asset_id, original ? formatBytes(original.size) : '-', formatBytes(total), a.variants.map(([v]) => v).join(','), url];
  });
  return table([['ASSET', 'SIZE', 'STORED', 'VARIANTS', 'URL'], ...rows]);
}

export function statusJson(s: UploadStatus) {
  const state = 'Open' in s.state ? 'open' : 'Aborted' in s.state ? 'aborted' : 'finished';
  return {
    uploadId: s.upload_id.toString(),
    assetId: s.asset_id,
    variant: s.variant,
    size: Number(s.size),
    chunkSize: s.chunk_size,
    chunkCount: s.chunk_count,
    received: s.received.length,
    hashed: s.hashed,
    state,
    ...('Finished' in s.state ? { blobId: s.state.Finished.toString() } : {}),
    expiresAtNs: s.expires_at_ns.toString()
  };
}

export function statusTable(statuses: UploadStatus[]): string {
  if (statuses.length === 0) return 'no uploads\n';
  const rows = statuses.map((s) => {
    const j = statusJson(s);
    return [j.uploadId, j.assetId, j.variant, j.state, `${j.received}/${j.chunkCount}`, `${j.hashed}/${j.chunkCount}`, formatBytes(j.size)];
  });
  return table([['UPLOAD', 'ASSET', 'VARIANT', 'STATE', 'RECEIVED', 'HASHED', 'SIZE'], ...rows]);
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n') + '\n';
}

export function json(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
}
