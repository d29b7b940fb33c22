// The page's side of the worker: requests with answers, and the worker's reports.
import type { AppError, FromWorker, ToWorker, WorkerCall } from './protocol.js';

export class WorkerCallError extends Error {
  constructor(readonly error: AppError) {
    super(error.message);
    this.name = 'WorkerCallError';
  }
}

export class UploadWorker {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

  constructor(
    private readonly worker: Worker,
    onReport: (message: Exclude<FromWorker, { type: 'reply' }>) => void
  ) {
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      if (message.type !== 'reply') return onReport(message);
      const waiter = this.waiting.get(message.requestId);
      this.waiting.delete(message.requestId);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(new WorkerCallError(message.error));
    };
    worker.onerror = (event) => onReport({ type: 'fatal', error: { kind: 'other', message: `the upload worker failed: ${event.message}` } });
  }

  send(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  call<T>(call: WorkerCall): Promise<T> {
    const requestId = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(requestId, { resolve: resolve as (v: unknown) => void, reject });
      this.send({ type: 'request', requestId, call });
    });
  }
}
