// The install and upgrade argument: InitArgs applied over the limits in force, refusing values
// that would make the canister unusable (a refusal traps install or upgrade, changing nothing).
import type { InitArgs } from '../../candid/ic_upload.js';
import type { KeyValueStore } from './kv.js';
import { CONFIG_KEYS } from './memory.js';
import { DEFAULT_LIMITS, decodeLimits, encodeLimits, type Limits } from './model/limits.js';

/**
 * InitArgs as Candid decodes them (each field an optional). A field absent from the object is
 * treated as `[]`: an argument from an older client that knew fewer fields still applies.
 */
export type InitArgsInput = Partial<InitArgs>;

export class InvalidInitArgs extends Error {
  constructor(message: string) {
    super(`invalid InitArgs: ${message}`);
    this.name = 'InvalidInitArgs';
  }
}

/**
 * A chunk travels in one put_chunk ingress message, which the IC refuses over 2 MiB (2,097,152
 * bytes) including the envelope and Candid framing: a larger max_chunk_bytes would allow uploads
 * that can never be sent.
 */
export const MAX_CHUNK_BYTES_CEILING = 2_000_000;

/**
 * Applies the given fields over `base`; refuses limits that would make the canister unusable.
 * A stored max_chunk_bytes above the ceiling (written before it existed) is lowered to it, so an
 * upgrade without arguments still succeeds; open uploads keep the chunk size they began with.
 */
export function applyInitArgs(base: Limits, args: InitArgsInput | undefined): Limits {
  const limits: Limits = {
    maxChunkBytes: args?.max_chunk_bytes?.[0] ?? Math.min(base.maxChunkBytes, MAX_CHUNK_BYTES_CEILING),
    maxUploadBytes: args?.max_upload_bytes?.[0] ?? base.maxUploadBytes,
    uploadIdleTimeoutS: args?.upload_idle_timeout_s?.[0] ?? base.uploadIdleTimeoutS,
    maxOpenUploadsPerCaller: args?.max_open_uploads_per_caller?.[0] ?? base.maxOpenUploadsPerCaller,
    maxOpenUploads: args?.max_open_uploads?.[0] ?? base.maxOpenUploads,
    maxBytesPerCaller: args?.max_bytes_per_caller?.[0] ?? base.maxBytesPerCaller,
    maxAssetsPerCaller: args?.max_assets_per_caller?.[0] ?? base.maxAssetsPerCaller
  };
  if (limits.maxChunkBytes < 1) throw new InvalidInitArgs('max_chunk_bytes must be at least 1');
  if (limits.maxChunkBytes > MAX_CHUNK_BYTES_CEILING) {
    throw new InvalidInitArgs(
      `max_chunk_bytes must be at most ${MAX_CHUNK_BYTES_CEILING} (a chunk travels in one ingress message of at most 2 MiB), got ${limits.maxChunkBytes}`
    );
  }
  if (limits.uploadIdleTimeoutS < 1n) throw new InvalidInitArgs('upload_idle_timeout_s must be at least 1');
  if (limits.maxOpenUploadsPerCaller < 1) throw new InvalidInitArgs('max_open_uploads_per_caller must be at least 1');
  if (limits.maxOpenUploads < 1n) throw new InvalidInitArgs('max_open_uploads must be at least 1');
  return limits;
}

/** The limits in force: set by install and upgrade arguments, kept in the config map. */
export class LimitsInForce {
  private value: Limits = { ...DEFAULT_LIMITS };

  constructor(private readonly config: KeyValueStore) {}

  get current(): Readonly<Limits> {
    return this.value;
  }

  /** At install: the arguments over the defaults. */
  install(args: InitArgsInput | undefined): void {
    this.set(applyInitArgs(DEFAULT_LIMITS, args));
  }

  /** At upgrade: the arguments over the limits stored before it. */
  upgrade(args: InitArgsInput | undefined): void {
    const stored = this.config.get(CONFIG_KEYS.limits);
    this.set(applyInitArgs(stored === undefined ? DEFAULT_LIMITS : decodeLimits(stored), args));
  }

  private set(limits: Limits): void {
    this.value = limits;
    this.config.insert(CONFIG_KEYS.limits, encodeLimits(limits));
  }
}
