// The URL a browser fetches a public asset at, through an HTTP gateway: `https://<id>.icp0.io/…`
// on mainnet, `http://<id>.localhost:<port>/…` on the local network (its gateway answers both
// that form and `?canisterId=`). The path is the asset id, each segment percent-encoded, so
// `photos/a b.jpg` is `/photos/a%20b.jpg`; a variant other than the original is `?variant=`.

export interface AssetUrlOptions {
  /** Default: the original. */
  variant?: string;
  /** 'ic' (default) or the local network's URL, e.g. `http://127.0.0.1:4943`. */
  network?: 'ic' | string;
}

export function assetUrl(canisterId: string, assetId: string, options: AssetUrlOptions = {}): string {
  const path = assetId.split('/').map(encodeURIComponent).join('/');
  const query = options.variant && options.variant !== 'original' ? `?variant=${encodeURIComponent(options.variant)}` : '';
  const network = options.network ?? 'ic';
  if (network === 'ic') return `https://${canisterId}.icp0.io/${path}${query}`;
  const local = new URL(network);
  return `${local.protocol}//${canisterId}.localhost${local.port ? `:${local.port}` : ''}/${path}${query}`;
}
