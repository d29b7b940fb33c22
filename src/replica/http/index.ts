// Public surface of the embedded replica's IC HTTP interface.
export { startHttpInterface, MAX_INGRESS_BYTES_PER_MESSAGE, MAX_REQUEST_BODY_BYTES } from './server.js';
export type { HttpInterface, HttpInterfaceOptions } from './server.js';
export { FileKeyStore, KeyStoreError, loadOrCreateKeys, MemoryKeyStore } from './keys.js';
export type { KeyStore, ReplicaKeys } from './keys.js';
export type { CanisterMetadataSource } from './state_tree.js';
export * from './errors.js';
