// Where the app is and whom it talks to, read from the page's own address: the canister serves
// the app, so the canister id is in the host name (`<id>.localhost`, `<id>.icp0.io`) or in
// `?canisterId=` (the gateway's `127.0.0.1:<port>/?canisterId=<id>` form), and the IC HTTP
// interface is at the same origin unless `?host=` names another (a replica on another port).
import { Principal } from '@icp-sdk/core/principal';

export type Network = 'local' | 'ic';

export interface AppConfig {
  canisterId: string;
  /** Origin of the IC HTTP interface (`/api/v2/...`). */
  host: string;
  network: Network;
  /** Where public assets are served: `${assetBase}/<asset id>` (plus `?canisterId=` on 127.0.0.1). */
  assetBase: string;
  /** Query suffix every asset URL needs (`?canisterId=<id>` when the host names no canister). */
  assetQuery: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const MAINNET_SUFFIXES = ['.icp0.io', '.ic0.app', '.raw.icp0.io', '.raw.ic0.app'];

function isPrincipal(text: string): boolean {
  try {
    return Principal.fromText(text).toText() === text;
  } catch {
    return false;
  }
}

export function configFromLocation(location: { hostname: string; origin: string; search: string; protocol: string; host: string }): AppConfig {
  const params = new URLSearchParams(location.search);
  const first = location.hostname.split('.')[0] ?? '';
  const fromHost = location.hostname.includes('.') && isPrincipal(first) ? first : undefined;
  const canisterId = params.get('canisterId') ?? fromHost;
  if (!canisterId || !isPrincipal(canisterId)) {
    throw new ConfigError('This page does not say which canister it belongs to: open it as http://<canister-id>.localhost:<port>/ or add ?canisterId=<canister-id>.');
  }
  const mainnet = MAINNET_SUFFIXES.some((s) => location.hostname.endsWith(s));
  const network: Network = mainnet ? 'ic' : 'local';
  const host = params.get('host') ?? (mainnet ? 'https://icp-api.io' : location.origin);
  const assetBase = fromHost ? location.origin : mainnet ? `https://${canisterId}.icp0.io` : location.origin;
  const assetQuery = fromHost || mainnet ? '' : `canisterId=${canisterId}`;
  return { canisterId, host, network, assetBase, assetQuery };
}

/** The certified URL of a public asset's variant. */
export function assetUrl(config: AppConfig, assetId: string, variant?: string): string {
  const path = assetId.split('/').map(encodeURIComponent).join('/');
  const query = [config.assetQuery, variant && variant !== 'original' ? `variant=${encodeURIComponent(variant)}` : ''].filter(Boolean).join('&');
  return `${config.assetBase}/${path}${query ? `?${query}` : ''}`;
}
