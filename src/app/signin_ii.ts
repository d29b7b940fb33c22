// Mainnet sign-in with Internet Identity (@icp-sdk/auth), as its own bundle so the local network
// never loads it. The session key is ours: a non-extractable ECDSA key pair kept in IndexedDB,
// which the delegation is issued to, so the worker can sign with it too.
import { AuthClient } from '@icp-sdk/auth/client';
import { DelegationIdentity, ECDSAKeyIdentity } from '@icp-sdk/core/identity';
import { loadKeyPair, saveKeyPair } from './app_db.js';
import type { IdentityGrant } from './protocol.js';

const SESSION_KEY = 'ii-session-ecdsa';

async function sessionKey(): Promise<ECDSAKeyIdentity> {
  const stored = await loadKeyPair(SESSION_KEY);
  if (stored) return ECDSAKeyIdentity.fromKeyPair(stored);
  const made = await ECDSAKeyIdentity.generate({ extractable: false });
  await saveKeyPair(SESSION_KEY, made.getKeyPair());
  return made;
}

function grantOf(key: ECDSAKeyIdentity, identity: unknown): IdentityGrant | undefined {
  if (!(identity instanceof DelegationIdentity)) return undefined;
  return { kind: 'delegation', keyPair: key.getKeyPair(), chain: identity.getDelegation().toJSON() };
}

/** The grant of an earlier sign-in that is still valid, if any. */
export async function restore(): Promise<IdentityGrant | undefined> {
  const key = await sessionKey();
  const client = new AuthClient({ identity: key });
  const identity = await client.getIdentity();
  return client.isAuthenticated() ? grantOf(key, identity) : undefined;
}

/** Opens Internet Identity; resolves once the user has signed in. */
export async function signIn(): Promise<IdentityGrant> {
  const key = await sessionKey();
  const client = new AuthClient({ identity: key });
  const grant = grantOf(key, await client.signIn());
  if (!grant) throw new Error('Internet Identity answered no delegation');
  return grant;
}
