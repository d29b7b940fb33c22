// agent-js checks every query answer's node signature against its subnet's node keys, which it
// reads from the state (`read_state` of `/subnet`) and trusts once their certificate checks out
// on its own BLS12-381: noble's, whose precomputed tables cost ≈ 0.5 s of CPU the first time in a
// process — the first query of every CLI command waited for them. agent-js asks a store for the
// keys first (its `subnetNodeKeyExpirableStore` option); this store answers them itself, read
// and checked as agent-js's `fetchSubnetKeys` does (HttpAgent, @icp-sdk/core), with the given
// BLS check — the Wasm one by default (src/shared/bls12_381.ts, ≈ 10 ms a check, no tables).
import {
  Certificate,
  CertificateNotAuthorizedErrorCode,
  DerKeyLengthMismatchErrorCode,
  HashTreeDecodeErrorCode,
  HttpAgent,
  LookupErrorCode,
  LookupPathStatus,
  LookupSubtreeStatus,
  ProtocolError,
  TrustError,
  UnknownError,
  check_canister_ranges,
  flatten_forks,
  getSubnetIdFromCertificate,
  lookup_path,
  lookup_subtree,
  type Cert,
  type HttpAgentOptions
} from '@icp-sdk/core/agent';
import { Principal } from '@icp-sdk/core/principal';
import { wasmBlsVerify, type BlsVerify } from './verified_signatures.js';

/** Node id (text) → DER Ed25519 public key: agent-js's `SubnetNodeKeys`. */
export type SubnetNodeKeys = Map<string, Uint8Array>;

/** How long keys are kept: agent-js's own default for its store. */
export const SUBNET_KEYS_TTL_MS = 5 * 60_000;

/** An agent-js `HttpAgent` whose subnet node keys are read and checked by `VerifiedSubnetKeys`. */
export async function verifiedAgent(options: HttpAgentOptions, blsVerify: BlsVerify = wasmBlsVerify()): Promise<HttpAgent> {
  const store = new VerifiedSubnetKeys(blsVerify);
  const agent = await HttpAgent.create({ ...options, subnetNodeKeyExpirableStore: store });
  store.attach(agent);
  return agent;
}

/**
 * agent-js's `ExpirableStore` for subnet node keys that fetches what it does not hold, by
 * effective canister id: what agent-js stores or deletes (it deletes keys that failed to verify
 * an answer, then asks again) is kept or dropped as in its own store.
 */
export class VerifiedSubnetKeys {
  readonly expirationTime = SUBNET_KEYS_TTL_MS;
  private agent: HttpAgent | undefined;
  private readonly entries = new Map<string, { keys: SubnetNodeKeys; expires: number }>();
  private readonly fetching = new Map<string, Promise<SubnetNodeKeys>>();

  constructor(private readonly blsVerify: BlsVerify) {}

  /** The agent to read keys through; until then the store is empty and agent-js reads them itself. */
  attach(agent: HttpAgent): void {
    this.agent = agent;
  }

  async get(canisterId: string): Promise<SubnetNodeKeys | undefined> {
    const entry = this.entries.get(canisterId);
    if (entry && entry.expires > Date.now()) return entry.keys;
    this.entries.delete(canisterId);
    const agent = this.agent;
    if (!agent) return undefined;
    let pending = this.fetching.get(canisterId);
    if (!pending) {
      // Kept once by the fetch itself, not again by each caller that waited for it.
      pending = this.fetchKeys(agent, Principal.fromText(canisterId))
        .then(async (keys) => (await this.set(canisterId, keys), keys))
        .finally(() => this.fetching.delete(canisterId));
      this.fetching.set(canisterId, pending);
    }
    return pending;
  }

  async set(canisterId: string, keys: SubnetNodeKeys): Promise<void> {
    const now = Date.now();
    for (const [id, entry] of this.entries) if (entry.expires <= now) this.entries.delete(id);
    this.entries.set(canisterId, { keys, expires: now + this.expirationTime });
  }

  async delete(canisterId: string): Promise<void> {
    this.entries.delete(canisterId);
  }

  /** agent-js's `#doFetchSubnetKeys`, with this store's BLS check. */
  private async fetchKeys(agent: HttpAgent, canisterId: Principal): Promise<SubnetNodeKeys> {
    const { certificate } = await agent.readState(canisterId, { paths: [[new TextEncoder().encode('subnet')]] });
    const rootKey = agent.rootKey;
    if (!rootKey) throw new Error('the agent has no root key to check the subnet keys against');
    const checked = await Certificate.create({ certificate, rootKey, principal: { canisterId }, agent, blsVerify: this.blsVerify });
    if (!checked.cert.delegation) {
      const subnetId = Principal.selfAuthenticating(rootKey);
      if (!check_canister_ranges({ canisterId, subnetId, tree: checked.cert.tree })) {
        throw TrustError.fromCode(new CertificateNotAuthorizedErrorCode(canisterId, subnetId));
      }
    }
    return nodeKeysOf(checked.cert, getSubnetIdFromCertificate(checked.cert, rootKey));
  }
}

/** agent-js's `lookupNodeKeysFromCertificate` (not exported by @icp-sdk/core/agent). */
function nodeKeysOf(cert: Cert, subnetId: Principal): SubnetNodeKeys {
  const subnet = lookup_subtree(['subnet', subnetId.toUint8Array(), 'node'], cert.tree);
  if (subnet.status !== LookupSubtreeStatus.Found) throw ProtocolError.fromCode(new LookupErrorCode('Node not found', subnet.status));
  if (subnet.value instanceof Uint8Array) throw UnknownError.fromCode(new HashTreeDecodeErrorCode('Invalid node tree'));
  const keys: SubnetNodeKeys = new Map();
  for (const fork of flatten_forks(subnet.value)) {
    const [, nodeId, tree] = fork as unknown as [number, Uint8Array, Parameters<typeof lookup_path>[1]];
    const key = lookup_path(['public_key'], tree);
    if (key.status !== LookupPathStatus.Found) throw ProtocolError.fromCode(new LookupErrorCode('Public key not found', key.status));
    const der = key.value as Uint8Array;
    if (der.byteLength !== 44) throw ProtocolError.fromCode(new DerKeyLengthMismatchErrorCode(44, der.byteLength));
    keys.set(Principal.from(nodeId).toText(), der);
  }
  return keys;
}
