// Progress accounting: per upload and overall. Counters only grow (a resent chunk is counted once;
// a late ack carrying an older `hashed` never moves the figure back), so bars never jump backwards.
import type { Clock, FileProgress, OverallProgress, ProgressEvent, UploadStateKind } from './types.js';

const RATE_WINDOW_MS = 5_000;

export class ProgressTracker {
  private readonly files = new Map<string, FileProgress>();
  private readonly samples: Array<{ at: number; acknowledged: number }> = [];
  private readonly startedAt: number;
  private readonly assetsDone = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly listener?: (event: ProgressEvent) => void
  ) {
    this.startedAt = clock.now();
  }

  add(key: string, assetId: string, variant: string, fileName: string, size: number): FileProgress {
    const file: FileProgress = { key, assetId, variant, fileName, size, bytesRead: 0, bytesAcknowledged: 0, bytesHashed: 0, state: 'pending' };
    this.files.set(key, file);
    return file;
  }

  read(file: FileProgress, bytes: number): void {
    file.bytesRead = Math.min(file.size, file.bytesRead + bytes);
    this.emit(file);
  }

  acknowledged(file: FileProgress, bytes: number, hashedBytes?: number): void {
    file.bytesAcknowledged = Math.min(file.size, file.bytesAcknowledged + bytes);
    if (hashedBytes !== undefined) file.bytesHashed = Math.max(file.bytesHashed, Math.min(file.size, hashedBytes));
    this.emit(file);
  }

  hashed(file: FileProgress, hashedBytes: number): void {
    const next = Math.max(file.bytesHashed, Math.min(file.size, hashedBytes));
    if (next === file.bytesHashed) return;
    file.bytesHashed = next;
    this.emit(file);
  }

  state(file: FileProgress, state: UploadStateKind): void {
    file.state = state;
    if (state === 'finished') {
      // A finished upload is read, stored and hashed in full, whatever the last ack said.
      file.bytesRead = file.bytesAcknowledged = file.bytesHashed = file.size;
    }
    this.emit(file);
  }

  /** An asset (the original and every derivative) is through: counted in `filesDone`. */
  assetDone(file: FileProgress): void {
    this.assetsDone.add(file.assetId);
    this.emit(file);
  }

  overall(): OverallProgress {
    let size = 0;
    let bytesRead = 0;
    let bytesAcknowledged = 0;
    let bytesHashed = 0;
    const assets = new Set<string>();
    for (const f of this.files.values()) {
      size += f.size;
      bytesRead += f.bytesRead;
      bytesAcknowledged += f.bytesAcknowledged;
      bytesHashed += f.bytesHashed;
      assets.add(f.assetId);
    }
    const rate = this.rate(bytesAcknowledged);
    const remaining = size - bytesAcknowledged;
    const etaSeconds = remaining === 0 ? 0 : rate > 0 ? remaining / rate : undefined;
    return { files: assets.size, filesDone: this.assetsDone.size, size, bytesRead, bytesAcknowledged, bytesHashed, rate, etaSeconds };
  }

  private rate(acknowledged: number): number {
    const now = this.clock.now();
    const last = this.samples[this.samples.length - 1];
    if (!last || last.acknowledged !== acknowledged) this.samples.push({ at: now, acknowledged });
    while (this.samples.length > 2 && now - this.samples[0]!.at > RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    const elapsed = now - first.at;
    if (elapsed <= 0) {
      const total = now - this.startedAt;
      return total > 0 ? (acknowledged * 1000) / total : 0;
    }
    return ((acknowledged - first.acknowledged) * 1000) / elapsed;
  }

  private emit(file: FileProgress): void {
    if (this.listener) this.listener({ file: { ...file }, overall: this.overall() });
  }
}
