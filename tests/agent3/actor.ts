// An ic_upload actor made by @dfinity/agent 3.x, the agent most frontends run today. This folder
// is its own npm workspace so that agent gets its peer @noble/hashes 1.x beside it.
import { Actor, HttpAgent } from '@dfinity/agent';
import { Ed25519KeyIdentity } from '@dfinity/identity';
import { idlFactory, type IcUploadService } from '../../candid/ic_upload.js';

export async function agent3Actor(host: string, canisterId: string, retryTimes?: number): Promise<IcUploadService> {
  const agent = await HttpAgent.create({ host, identity: Ed25519KeyIdentity.generate(), shouldFetchRootKey: true, retryTimes });
  // The contract's factory takes whichever IDL the agent passes it: here @dfinity/candid's.
  return Actor.createActor<IcUploadService>(idlFactory as unknown as Parameters<typeof Actor.createActor>[0], { agent, canisterId });
}

export { AgentError } from '@dfinity/agent';
