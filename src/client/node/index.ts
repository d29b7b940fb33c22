// Node entry: the engine plus Node's byte source, journal, image deriver and download sinks.
// Same names as `../browser/index.js` where the concept is shared.
export * from '../index.js';
export { fileSource, type FileSource } from './file_source.js';
export { FileJournal } from './file_journal.js';
export { sharpDeriver, SharpMissingError } from './sharp_deriver.js';
export { fileSink, streamSink } from './file_sink.js';
export { stateDir } from './state_dir.js';
export { localFetch, LocalFetchAbortError, type LocalFetch } from './local_fetch.js';
// Not in the platform-neutral entry: it builds on @icp-sdk/core's HttpAgent, which the browser
// entry leaves to the application (any agent, or none).
export { verifiedAgent, VerifiedSubnetKeys, SUBNET_KEYS_TTL_MS, type SubnetNodeKeys } from '../verified_subnet_keys.js';
import { FileJournal } from './file_journal.js';
import { sharpDeriver } from './sharp_deriver.js';
import type { ImageDeriver } from '../derivatives.js';
import type { Journal } from '../types.js';

/** The platform's default journal: a JSON file in the user's state folder. */
export function defaultJournal(): Journal {
  return new FileJournal();
}

/** The platform's image deriver. */
export const defaultDeriver: ImageDeriver = sharpDeriver;
