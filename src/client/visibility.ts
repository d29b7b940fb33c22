// Public / private (DESIGN.md, "Visibility"): `set_public` and `Asset.public` belong to the
// contract's second version. An actor built on an older interface (or a test double) may lack
// them, so callers ask here instead of assuming: the method when present, undefined otherwise.
import type { Asset, IcUploadService, Result } from '../../candid/ic_upload.js';

export type SetPublic = (assetId: string, value: boolean) => Promise<Result<Asset>>;

/** The actor's `set_public`, bound, or undefined when its interface has none. */
export function setPublicMethod(actor: IcUploadService): SetPublic | undefined {
  const method = (actor as unknown as Record<string, unknown>).set_public;
  return typeof method === 'function' ? (method as SetPublic).bind(actor) : undefined;
}

/** `Asset.public`, or undefined for a canister without visibility. */
export function isPublic(asset: Asset): boolean | undefined {
  const value = (asset as Asset & { public?: unknown }).public;
  return typeof value === 'boolean' ? value : undefined;
}
