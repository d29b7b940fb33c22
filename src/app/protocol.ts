// The messages between the page and the upload worker. The page never talks to the canister: the
// worker holds the agent, the uploader and every call, so hashing and request signing never block
// the page (on the main thread they froze it for hundreds of milliseconds at a time).
import type { JsonnableDelegationChain } from '@icp-sdk/core/identity';
import type { AppConfig } from './config.js';

/** How the worker signs: a WebCrypto key pair (non-extractable), and a delegation on mainnet. */
export type IdentityGrant = { kind: 'key'; keyPair: CryptoKeyPair } | { kind: 'delegation'; keyPair: CryptoKeyPair; chain: JsonnableDelegationChain };

/** An error as the page shows it: `kind` picks the wording and the advice, `message` the detail. */
export interface AppError {
  kind: 'quota' | 'forbidden' | 'network' | 'not-found' | 'invalid' | 'integrity' | 'aborted' | 'other';
  message: string;
}

export type JobState = 'queued' | 'uploading' | 'paused' | 'finishing' | 'finished' | 'failed' | 'cancelled';

export interface JobView {
  id: string;
  assetId: string;
  fileName: string;
  size: number;
  state: JobState;
  /** Bytes the canister holds (original and derivatives), of `total`. */
  acknowledged: number;
  total: number;
  /** Bytes per second sent in this run, and seconds left (undefined while unknown). */
  rate: number;
  etaSeconds: number | undefined;
  resumed: boolean;
  error?: AppError;
}

export interface AssetView {
  assetId: string;
  /** Variant name → size, content type and SHA-256 (hex). */
  variants: Array<{ name: string; size: number; contentType: string; sha256: string; fileName: string }>;
  /** Undefined while the canister has no visibility (an older contract). */
  public: boolean | undefined;
  createdAtMs: number;
}

export interface Features {
  /** `set_public` and `Asset.public` are in the contract. */
  visibility: boolean;
  /** `http_request` is in the contract: public assets have certified URLs. */
  http: boolean;
}

export type ToWorker =
  | { type: 'init'; config: AppConfig; identity?: IdentityGrant }
  | { type: 'add'; files: Array<{ file: File; assetId: string }>; makePublic: boolean }
  | { type: 'pause' | 'resume' | 'cancel'; id: string }
  | { type: 'request'; requestId: number; call: WorkerCall };

export type WorkerCall =
  | { op: 'list' }
  | { op: 'read'; assetId: string; variant: string }
  | { op: 'delete'; assetId: string }
  | { op: 'setPublic'; assetId: string; public: boolean };

export type FromWorker =
  | { type: 'ready'; principal: string; features: Features }
  | { type: 'fatal'; error: AppError }
  | { type: 'jobs'; jobs: JobView[] }
  | { type: 'reply'; requestId: number; ok: true; value: unknown }
  | { type: 'reply'; requestId: number; ok: false; error: AppError }
  /** Something in the canister changed (an upload finished, an asset was deleted). */
  | { type: 'changed' };
