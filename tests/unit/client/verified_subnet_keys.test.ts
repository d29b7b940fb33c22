// The subnet node keys agent-js checks query answers with, read and checked by our store
// (src/client/verified_subnet_keys.ts) against the embedded replica's HTTP interface: queries
// answer through it, its certificate check is the one given (a check that says no makes the
// query fail), keys are read once and shared, read again once agent-js or the clock drops them.
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { wasmBlsVerify, type BlsVerify } from '../../../src/client/verified_signatures.js';
import { SUBNET_KEYS_TTL_MS, VerifiedSubnetKeys, verifiedAgent } from '../../../src/client/verified_subnet_keys.js';
import { loadOrCreateKeys, MemoryKeyStore } from '../../../src/replica/http/keys.js';
import { startHttpInterface, type HttpInterface } from '../../../src/replica/http/server.js';
import { FAKE_CANISTER_ID, FakeReplica } from '../../support/fake_replica.js';

const echoIdl: IDL.InterfaceFactory = ({ IDL }) => IDL.Service({ echo: IDL.Func([IDL.Text], [IDL.Text], ['query']) });
type Echo = { echo(text: string): Promise<string> };

let http: HttpInterface;
let replica: FakeReplica;
beforeAll(async () => {
  replica = new FakeReplica();
  http = await startHttpInterface({ replica, keys: loadOrCreateKeys(new MemoryKeyStore()), port: 0 });
});
afterAll(() => http.close());

function counting(verify: BlsVerify): { verify: BlsVerify; calls: () => number } {
  let calls = 0;
  return { verify: (...args) => (calls++, verify(...args)), calls: () => calls };
}

const actorOn = (agent: HttpAgent) => Actor.createActor<Echo>(echoIdl, { agent, canisterId: FAKE_CANISTER_ID });

describe('verified subnet keys', () => {
  it('answer queries, checked by the given BLS check, read once for many queries', async () => {
    const check = counting(wasmBlsVerify());
    const agent = await verifiedAgent({ host: http.url, shouldFetchRootKey: true, identity: Ed25519KeyIdentity.generate() }, check.verify);
    const actor = actorOn(agent);
    expect(await Promise.all(['a', 'b', 'c'].map((t) => actor.echo(t)))).toEqual(['a', 'b', 'c']);
    expect(await actor.echo('d')).toBe('d');
    expect(check.calls()).toBe(1);
    expect(replica.executions.filter((e) => e.kind === 'query').map((e) => e.method)).toContain('echo');
  });

  it('make the query fail when their certificate does not check out', async () => {
    const agent = await verifiedAgent({ host: http.url, shouldFetchRootKey: true, identity: Ed25519KeyIdentity.generate() }, () => false);
    await expect(actorOn(agent).echo('x')).rejects.toThrow(/signature|certificate/i);
  });

  it('are read again once deleted (as agent-js deletes keys that failed) or expired', async () => {
    const check = counting(wasmBlsVerify());
    const store = new VerifiedSubnetKeys(check.verify);
    const id = FAKE_CANISTER_ID.toText();
    expect(await store.get(id)).toBeUndefined(); // no agent yet: agent-js reads them itself
    const agent = await HttpAgent.create({ host: http.url, shouldFetchRootKey: true, subnetNodeKeyExpirableStore: store });
    store.attach(agent);
    const keys = await store.get(id);
    expect(keys?.size).toBe(1);
    expect([...keys!.values()][0]!.byteLength).toBe(44);
    await store.get(id);
    expect(check.calls()).toBe(1);
    await store.delete(id);
    await store.get(id);
    expect(check.calls()).toBe(2);
    const now = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now + SUBNET_KEYS_TTL_MS + 1);
    try {
      await store.get(id);
      expect(check.calls()).toBe(3);
    } finally {
      clock.mockRestore();
    }
  });
});
