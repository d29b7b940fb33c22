// Progress accounting: per upload and overall. Counters only grow (a resent chunk is counted once;
// a late ack carrying an older `hashed` never moves the figure back), so bars never jump backwards.
// Rate and ETA count only the bytes sent in this run: what an earlier run stored (found on resume)
// fills the bar at once but is no evidence of how fast this run sends.
import type { Clock, FileProgress, OverallProgress, ProgressEvent, UploadStateKind } from './types.js';

const RATE_WINDOW_MS = 5_000;

export class ProgressTracker {
  private readonly files = new Map<string, FileProgress>();
  /** Asset ids in the order first seen, and those whose every variant has settled. */
  private readonly assets = new Set<string>();
  private readonly settledAssets = new Set<string>();
  private readonly samples: Array<{ at: number; sent: number }> = [];
  private readonly startedAt: number;
  /** Bytes acknowledged because an earlier run had stored them: excluded from the rate. */
  private carried = 0;

  constructor(
    private readonly clock: Clock,
    private readonly listener?: (event: ProgressEvent) => void
  ) {
    this.startedAt = clock.now();
  }

  add(key: string, assetId: string, variant: string, fileName: string, size: number): FileProgress {
    const file: FileProgress = { key, assetId, variant, fileName, size, bytesRead: 0, bytesAcknowledged: 0, bytesHashed: 0, state: 'pending' };
    this.files.set(key, file);
    this.assets.add(assetId);
    return file;
  }

  read(file: FileProgress, bytes: number): void {
    file.bytesRead = Math.min(file.size, file.bytesRead + bytes);
    this.emit(file);
  }

  /** Bytes the canister acknowledged in this run. */
  acknowledged(file: FileProgress, bytes: number, hashedBytes?: number): void {
    file.bytesAcknowledged = Math.min(file.size, file.bytesAcknowledged + bytes);
    if (hashedBytes !== undefined) file.bytesHashed = Math.max(file.bytesHashed, Math.min(file.size, hashedBytes));
    this.emit(file);
  }

  /** Bytes the canister already had when this run found the upload (resume): not part of the rate. */
  alreadyStored(file: FileProgress, bytes: number, hashedBytes: number): void {
    const before = file.bytesAcknowledged;
    file.bytesAcknowledged = Math.min(file.size, file.bytesAcknowledged + bytes);
    this.carried += file.bytesAcknowledged - before;
    file.bytesHashed = Math.max(file.bytesHashed, Math.min(file.size, hashedBytes));
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
      // A finished upload is read, stored and hashed in full, whatever the last ack said. Bytes it
      // gains here without a send in this run (finished by an earlier run) are carried, not sent.
      const unsent = file.size - file.bytesAcknowledged;
      if (unsent > 0) this.carried += unsent;
      file.bytesRead = file.bytesAcknowledged = file.bytesHashed = file.size;
    }
    this.emit(file);
  }

  /** The asset (a file: its original and derivatives) is done, whatever became of it. */
  assetSettled(assetId: string): void {
    if (!this.assets.has(assetId) || this.settledAssets.has(assetId)) return;
    this.settledAssets.add(assetId);
    const any = [...this.files.values()].find((f) => f.assetId === assetId);
    if (any) this.emit(any);
  }

  overall(): OverallProgress {
    let size = 0;
    let bytesRead = 0;
    let bytesAcknowledged = 0;
    let bytesHashed = 0;
    let uploadsDone = 0;
    for (const f of this.files.values()) {
      size += f.size;
      bytesRead += f.bytesRead;
      bytesAcknowledged += f.bytesAcknowledged;
      bytesHashed += f.bytesHashed;
      if (f.state === 'finished' || f.state === 'failed' || f.state === 'aborted') uploadsDone++;
    }
    const bytesSent = bytesAcknowledged - this.carried;
    const rate = this.rate(bytesSent);
    const remaining = size - bytesAcknowledged;
    const etaSeconds = remaining === 0 ? 0 : rate > 0 ? remaining / rate : undefined;
    return {
      files: this.assets.size,
      filesDone: this.settledAssets.size,
      uploads: this.files.size,
      uploadsDone,
      size,
      bytesRead,
      bytesAcknowledged,
      bytesSent,
      bytesHashed,
      rate,
      etaSeconds
    };
  }

  private rate(sent: number): number {
    const now = this.clock.now();
    const last = this.samples[this.samples.length - 1];
    if (!last || last.sent !== sent) this.samples.push({ at: now, sent });
    while (this.samples.length > 2 && now - this.samples[0]!.at > RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    const elapsed = now - first.at;
    if (elapsed <= 0) {
      const total = now - this.startedAt;
      return total > 0 ? (sent * 1000) / total : 0;
    }
    return ((sent - first.sent) * 1000) / elapsed;
  }

  private emit(file: FileProgress): void {
    if (this.listener) this.listener({ file: { ...file }, overall: this.overall() });
  }
}
