// The worker's signing identity: the grant the page passed (Internet Identity's delegation on
// mainnet), or the local network's key, made once and kept in IndexedDB.
import type { SignIdentity } from '@icp-sdk/core/agent';
import { DelegationChain, DelegationIdentity, ECDSAKeyIdentity } from '@icp-sdk/core/identity';
import { loadKeyPair, saveKeyPair } from './app_db.js';
import type { IdentityGrant } from './protocol.js';

export const LOCAL_KEY = 'local-ecdsa';

export async function localIdentity(): Promise<ECDSAKeyIdentity> {
  const stored = await loadKeyPair(LOCAL_KEY);
  if (stored) return ECDSAKeyIdentity.fromKeyPair(stored);
  const made = await ECDSAKeyIdentity.generate({ extractable: false });
  await saveKeyPair(LOCAL_KEY, made.getKeyPair());
  return made;
}

export async function identityFrom(grant: IdentityGrant | undefined): Promise<SignIdentity> {
  if (!grant) return localIdentity();
  const key = await ECDSAKeyIdentity.fromKeyPair(grant.keyPair);
  if (grant.kind === 'key') return key;
  return DelegationIdentity.fromDelegation(key, DelegationChain.fromJSON(grant.chain));
}
