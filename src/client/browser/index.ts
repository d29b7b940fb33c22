// Browser entry: the engine plus the browser's byte source, journal and image deriver.
// Same names as `../node/index.js` where the concept is shared.
export * from '../index.js';
export { blobSource, type BlobSource } from './blob_source.js';
export { IndexedDbJournal } from './indexeddb_journal.js';
export { canvasDeriver } from './canvas_deriver.js';
import { IndexedDbJournal } from './indexeddb_journal.js';
import { canvasDeriver } from './canvas_deriver.js';
import type { ImageDeriver } from '../derivatives.js';
import type { Journal } from '../types.js';

/** The platform's default journal: IndexedDB. */
export function defaultJournal(): Journal {
  return new IndexedDbJournal();
}

/** The platform's image deriver. */
export const defaultDeriver: ImageDeriver = canvasDeriver;
