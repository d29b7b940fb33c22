// Upload progress on the terminal: bars (cli-progress) on a TTY, a plain line per finished file
// otherwise, nothing with --json. Fed by the Uploader's progress events.
import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../client/types.js';
import { formatBytes, formatDuration } from './output.js';

export interface ProgressView {
  onProgress(event: ProgressEvent): void;
  stop(): void;
}

const MAX_FILE_BARS = 6;

export function progressView(mode: 'bars' | 'lines' | 'none', stream: NodeJS.WritableStream): ProgressView {
  if (mode === 'none') return { onProgress: () => undefined, stop: () => undefined };
  if (mode === 'lines') return linesView(stream);
  return barsView(stream);
}

function linesView(stream: NodeJS.WritableStream): ProgressView {
  const reported = new Set<string>();
  return {
    onProgress({ file, overall }) {
      const done = file.state === 'finished' || file.state === 'failed' || file.state === 'aborted';
      if (!done || reported.has(file.key)) return;
      reported.add(file.key);
      stream.write(`[${overall.filesDone}/${overall.files}] ${file.state} ${file.assetId} ${file.variant} ${formatBytes(file.size)}\n`);
    },
    stop: () => undefined
  };
}

function barsView(stream: NodeJS.WritableStream): ProgressView {
  const multi = new cliProgress.MultiBar(
    {
      stream: stream as NodeJS.WritableStream & { isTTY?: boolean } as never,
      format: '{label} [{bar}] {percentage}% | {done} / {size} | {rate}/s | eta {eta_h}',
      hideCursor: true,
      clearOnComplete: false,
      barsize: 24,
      etaBuffer: 20
    },
    cliProgress.Presets.shades_classic
  );
  const overallBar = multi.create(1, 0, { label: 'total'.padEnd(28), done: '0 B', size: '0 B', rate: '0 B', eta_h: '--' });
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    onProgress({ file, overall }) {
      overallBar.setTotal(Math.max(1, overall.size));
      overallBar.update(overall.bytesAcknowledged, {
        label: `total ${overall.filesDone}/${overall.files} files`.padEnd(28),
        done: formatBytes(overall.bytesAcknowledged),
        size: formatBytes(overall.size),
        rate: formatBytes(Math.round(overall.rate)),
        eta_h: formatDuration(overall.etaSeconds)
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
        const label = `${file.assetId}${file.variant === 'original' ? '' : ` (${file.variant})`}`;
        bar = multi.create(Math.max(1, file.size), 0, { label: label.length > 28 ? `…${label.slice(-27)}` : label.padEnd(28), done: '0 B', size: formatBytes(file.size), rate: '', eta_h: '' });
        bars.set(file.key, bar);
      }
      bar.update(file.bytesAcknowledged, { done: formatBytes(file.bytesAcknowledged), rate: '-', eta_h: `hashed ${formatBytes(file.bytesHashed)}` });
    },
    stop: () => multi.stop()
  };
}
