// Progress on the terminal: bars (cli-progress) on a TTY; without one (a log, CI, a pipe) plain
// lines, one per finished file and an overall line at least every 5 seconds or 10 percent; nothing
// with --json. Fed by the Uploader's progress events, or by a download's byte counts.
import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../client/types.js';
import { formatBytes, formatDuration } from './output.js';

export type ProgressMode = 'bars' | 'lines' | 'none';

export interface ProgressView {
  onProgress(event: ProgressEvent): void;
  stop(): void;
}

const MAX_FILE_BARS = 6;
const LABEL = 28;
/** Plain lines: the longest silence, and the step of the overall percentage that prints a line. */
const LINE_INTERVAL_MS = 5_000;
const LINE_STEP_PERCENT = 10;

const label = (text: string) => (text.length > LABEL ? `…${text.slice(-(LABEL - 1))}` : text.padEnd(LABEL));
const percent = (done: number, total: number) => (total === 0 ? 100 : Math.floor((done * 100) / total));

export function progressView(mode: ProgressMode, stream: NodeJS.WritableStream, now: () => number = Date.now): ProgressView {
  if (mode === 'none') return { onProgress: () => undefined, stop: () => undefined };
  if (mode === 'lines') return linesView(stream, now);
  return barsView(stream);
}

/** Decides when a plain progress line is due: every {@link LINE_STEP_PERCENT} % or {@link LINE_INTERVAL_MS}. */
export class LineThrottle {
  private lastAt: number;
  private lastStep = 0;
  constructor(private readonly now: () => number) {
    this.lastAt = now();
  }
  due(done: number, total: number): boolean {
    const step = Math.floor(percent(done, total) / LINE_STEP_PERCENT);
    const at = this.now();
    if (step > this.lastStep || at - this.lastAt >= LINE_INTERVAL_MS) {
      this.lastStep = Math.max(step, this.lastStep);
      this.lastAt = at;
      return true;
    }
    return false;
  }
}

function linesView(stream: NodeJS.WritableStream, now: () => number): ProgressView {
  const reported = new Set<string>();
  const throttle = new LineThrottle(now);
  return {
    onProgress({ file, overall }) {
      const done = file.state === 'finished' || file.state === 'failed' || file.state === 'aborted';
      if (done && !reported.has(file.key)) {
        reported.add(file.key);
        stream.write(`${file.state} ${file.assetId}${file.variant === 'original' ? '' : ` (${file.variant})`} ${formatBytes(file.size)}\n`);
      }
      if (throttle.due(overall.bytesAcknowledged, overall.size)) {
        stream.write(
          `[${overall.filesDone}/${overall.files} files] ${percent(overall.bytesAcknowledged, overall.size)}% ${formatBytes(overall.bytesAcknowledged)} / ${formatBytes(overall.size)}, ${formatBytes(Math.round(overall.rate))}/s, eta ${formatDuration(overall.etaSeconds)}\n`
        );
      }
    },
    stop: () => undefined
  };
}

function barsView(stream: NodeJS.WritableStream): ProgressView {
  const multi = new cliProgress.MultiBar(
    {
      stream: stream as never,
      format: '{label} [{bar}] {percentage}% | {done} / {size}',
      hideCursor: true,
      clearOnComplete: false,
      barsize: 24
    },
    cliProgress.Presets.shades_classic
  );
  // Only the total has a rate and an ETA: per file they would be noise over a few chunks.
  const overallBar = multi.create(1, 0, { label: label('total'), done: '0 B', size: '0 B', rate: '0 B', eta: '--' }, {
    format: '{label} [{bar}] {percentage}% | {done} / {size} | {rate}/s | eta {eta}'
  });
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    onProgress({ file, overall }) {
      overallBar.setTotal(Math.max(1, overall.size));
      overallBar.update(overall.bytesAcknowledged, {
        label: label(`total ${overall.filesDone}/${overall.files} files`),
        done: formatBytes(overall.bytesAcknowledged),
        size: formatBytes(overall.size),
        rate: formatBytes(Math.round(overall.rate)),
        eta: formatDuration(overall.etaSeconds)
      });
      const done = file.state === 'finished' || file.state === 'failed' || file.state === 'aborted';
      let bar = bars.get(file.key);
      if (done) {
        if (bar) {
          multi.remove(bar);
          bars.delete(file.key);
        }
        return;
      }
      if (!bar) {
        if (bars.size >= MAX_FILE_BARS || file.state === 'pending') return;
        bar = multi.create(Math.max(1, file.size), 0, { label: label(`${file.assetId}${file.variant === 'original' ? '' : ` (${file.variant})`}`), done: '0 B', size: formatBytes(file.size) });
        bars.set(file.key, bar);
      }
      bar.update(file.bytesAcknowledged, { done: formatBytes(file.bytesAcknowledged) });
    },
    stop: () => multi.stop()
  };
}

/** Progress of one download: a bar on a TTY, plain lines otherwise. */
export function downloadProgress(mode: ProgressMode, stream: NodeJS.WritableStream, name: string, now: () => number = Date.now): { update(bytes: number, total: number): void; stop(): void } {
  if (mode === 'none') return { update: () => undefined, stop: () => undefined };
  if (mode === 'lines') {
    const throttle = new LineThrottle(now);
    return {
      update(bytes, total) {
        if (throttle.due(bytes, total)) stream.write(`get ${name}: ${percent(bytes, total)}% ${formatBytes(bytes)} / ${formatBytes(total)}\n`);
      },
      stop: () => undefined
    };
  }
  const bar = new cliProgress.SingleBar(
    { stream: stream as never, format: '{label} [{bar}] {percentage}% | {done} / {size}', hideCursor: true, barsize: 24 },
    cliProgress.Presets.shades_classic
  );
  let started = false;
  return {
    update(bytes, total) {
      if (!started) {
        bar.start(Math.max(1, total), 0, { label: label(name), done: '0 B', size: formatBytes(total) });
        started = true;
      }
      bar.update(bytes, { done: formatBytes(bytes) });
    },
    stop: () => started && bar.stop()
  };
}
