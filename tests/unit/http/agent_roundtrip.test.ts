// An unmodified agent-js HttpAgent + Actor against the IC HTTP interface (fake replica behind it):
// update and query round trips for every identity kind, with root key fetched from /api/v2/status,
// certificates and query signatures verified by agent-js itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor, AnonymousIdentity, Certificate, HttpAgent, type Identity, lookupResultToBuffer } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { DelegationChain, DelegationIdentity, ECDSAKeyIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1';
import { Principal } from '@icp-sdk/core/principal';
import { startHttpInterface, type HttpInterface } from '../../../src/replica/http/server.js';
import { loadOrCreateKeys, MemoryKeyStore } from '../../../src/replica/http/keys.js';
import { FAKE_CANISTER_ID, FakeReplica } from '../../support/fake_replica.js';

const idlFactory: IDL.InterfaceFactory = ({ IDL }) =>
  IDL.Service({
    echo: IDL.Func([IDL.Text], [IDL.Text], []),
    fail: IDL.Func([], [], []),
    whoami: IDL.Func([], [IDL.Principal], ['query']),
    echo_query: IDL.Func([IDL.Text], [IDL.Text], ['query']),
  });

interface Service {
  echo(text: string): Promise<string>;
  fail(): Promise<void>;
  whoami(): Promise<Principal>;
}

let replica: FakeReplica;
let http: HttpInterface;

beforeAll(async () => {
  replica = new FakeReplica();
  http = await startHttpInterface({ replica, keys: loadOrCreateKeys(new MemoryKeyStore()), port: 0 });
});
afterAll(() => http.close());

async function delegated(): Promise<Identity> {
  const root = Ed25519KeyIdentity.generate();
  const session = ECDSAKeyIdentity.generate();
  const sessionKey = await session;
  const chain = await DelegationChain.create(root, sessionKey.getPublicKey(), new Date(Date.now() + 60 * 60 * 1000), {
    targets: [FAKE_CANISTER_ID],
  });
  return DelegationIdentity.fromDelegation(sessionKey, chain);
}

const identities: Array<[string, () => Promise<Identity>]> = [
  ['anonymous', async () => new AnonymousIdentity()],
  ['Ed25519', async () => Ed25519KeyIdentity.generate()],
  ['secp256k1', async () => Secp256k1KeyIdentity.generate()],
  ['ECDSA P-256', () => ECDSAKeyIdentity.generate()],
  ['delegation (Ed25519 → P-256, with targets)', delegated],
];

describe.each(identities)('%s identity', (_name, makeIdentity) => {
  let identity: Identity;
  let actor: Service;
  let agent: HttpAgent;

  beforeAll(async () => {
    identity = await makeIdentity();
    agent = await HttpAgent.create({ host: http.url, shouldFetchRootKey: true, identity, verifyQuerySignatures: true });
    actor = Actor.createActor<Service>(idlFactory, { agent, canisterId: FAKE_CANISTER_ID });
  });

  it('runs an update once and returns its certified reply', async () => {
    const before = replica.executions.length;
    await expect(actor.echo('hello from the agent')).resolves.toBe('hello from the agent');
    const runs = replica.executions.slice(before);
    expect(runs.map((e) => [e.kind, e.method, e.sender.toText()])).toEqual([['update', 'echo', identity.getPrincipal().toText()]]);
  });

  it('answers a query with a signature agent-js verifies', async () => {
    const who = await actor.whoami();
    expect(who.toText()).toBe(identity.getPrincipal().toText());
    expect(replica.executions.at(-1)).toMatchObject({ kind: 'query', method: 'whoami' });
  });

  it('reports a canister reject as a certified reject', async () => {
    await expect(actor.fail()).rejects.toThrow(/fail was called/);
  });

  it('serves request_status over read_state to the same sender', async () => {
    const { requestId } = await agent.call(FAKE_CANISTER_ID, { methodName: 'echo', arg: IDL.encode([IDL.Text], ['x']), effectiveCanisterId: FAKE_CANISTER_ID, callSync: false });
    const state = await agent.readState(FAKE_CANISTER_ID, { paths: [[new TextEncoder().encode('request_status'), requestId]] });
    const cert = await Certificate.create({ certificate: state.certificate, rootKey: agent.rootKey!, principal: { canisterId: FAKE_CANISTER_ID } });
    // The async call has been accepted but not run: the v2 endpoint leaves execution to polling.
    const status = lookupResultToBuffer(cert.lookup_path(['request_status', requestId, 'status']));
    expect(new TextDecoder().decode(status)).toBe('processing');
  });
});

describe('HttpAgent against the interface', () => {
  it('fetches the DER root key from /api/v2/status', async () => {
    const agent = await HttpAgent.create({ host: http.url, shouldFetchRootKey: true });
    const status = (await agent.status()) as Record<string, unknown>;
    expect(status.replica_health_status).toBe('healthy');
    expect((status.root_key as Uint8Array).length).toBe(133);
    expect(Principal.selfAuthenticating(agent.rootKey!).toText()).toBeTruthy();
  });

  it('syncs its clock with the replica when its ingress expiry is refused, then succeeds', async () => {
    replica.clockOffsetNanos = 20n * 60n * 1_000_000_000n; // replica 20 minutes ahead
    try {
      const agent = await HttpAgent.create({ host: http.url, shouldFetchRootKey: true, identity: Ed25519KeyIdentity.generate() });
      const actor = Actor.createActor<Service>(idlFactory, { agent, canisterId: FAKE_CANISTER_ID });
      await expect(actor.echo('late')).resolves.toBe('late');
      expect(agent.hasSyncedTime()).toBe(true);
    } finally {
      replica.clockOffsetNanos = 0n;
    }
  });
});
