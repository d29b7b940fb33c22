// An agent-js actor for the CLI's connection: HttpAgent + Actor over the contract's IDL.
import { Actor, type ActorSubclass, type HttpAgent } from '@icp-sdk/core/agent';
import type { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import { rememberingBlsVerify, wasmBlsVerify } from '../client/verified_signatures.js';
import { localFetch } from '../client/node/local_fetch.js';
import { verifiedAgent } from '../client/verified_subnet_keys.js';
import { join } from 'node:path';
import { idlFactory, type IcUploadService } from '../../candid/ic_upload.js';
import type { Connection } from './config.js';
import { identityFromPemFile, loadOrCreateIdentity } from './identity.js';

export interface Connected {
  actor: IcUploadService;
  principal: string;
  /** Separates journal entries per canister and caller. */
  journalNamespace: string;
  /** Set when this run created the default identity. */
  createdIdentity?: string;
}

export async function connect(connection: Connection): Promise<Connected> {
  let createdIdentity: string | undefined;
  let identity;
  if (connection.identityPath) {
    identity = await identityFromPemFile(connection.identityPath);
  } else {
    const path = join(connection.stateDir, 'identity.pem');
    const loaded = await loadOrCreateIdentity(path);
    identity = loaded.identity;
    if (loaded.created) createdIdentity = path;
  }
  const agent = await verifiedAgent({ host: connection.url, identity, shouldFetchRootKey: connection.local, fetch: localFetch() });
  const actor = certifiedActor<IcUploadService>(agent, connection.canisterId);
  const principal = identity.getPrincipal().toText();
  return { actor: actor as unknown as IcUploadService, principal, journalNamespace: `${connection.canisterId}:${principal}`, createdIdentity };
}

/**
 * An actor whose answers are verified as agent-js verifies them, on the Wasm BLS12-381, each
 * signature checked once: the calls a replica answers together share one (`rememberingBlsVerify`).
 */
export function certifiedActor<T>(agent: HttpAgent, canisterId: string | Principal, idl: IDL.InterfaceFactory = idlFactory): ActorSubclass<T> {
  return Actor.createActor<T>(idl, { agent, canisterId, blsVerify: rememberingBlsVerify(wasmBlsVerify()) });
}
