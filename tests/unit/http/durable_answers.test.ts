// The HTTP interface answers nothing a kill could take back: a synchronous call's reply and a
// read_state (which may report a call's status) wait for the replica's `durable` promise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpAgent } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { IDL } from '@icp-sdk/core/candid';
import { startHttpInterface, type HttpInterface } from '../../../src/replica/http/server.js';
import { loadOrCreateKeys, MemoryKeyStore } from '../../../src/replica/http/keys.js';
import { FAKE_CANISTER_ID, FakeReplica } from '../../support/fake_replica.js';

/** A `durable` that holds every answer until `open()`; it counts the commits asked for. */
function gate() {
  let release: () => void = () => {};
  let held = new Promise<void>((r) => (release = r));
  let asked = 0;
  return {
    durable: () => {
      asked++;
      return held;
    },
    open: () => release(),
    close: () => (held = new Promise<void>((r) => (release = r))),
    asked: () => asked,
  };
}

const settles = async (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true, () => true), new Promise((r) => setTimeout(() => r(false), ms))]);

describe('answers wait for durability', () => {
  const commit = gate();
  let http: HttpInterface;
  let agent: HttpAgent;
  beforeAll(async () => {
    http = await startHttpInterface({ replica: new FakeReplica(), keys: loadOrCreateKeys(new MemoryKeyStore()), port: 0, durable: commit.durable });
    commit.open(); // the agent's set-up (status, root key) needs no commit
    agent = await HttpAgent.create({ host: http.url, shouldFetchRootKey: true, identity: Ed25519KeyIdentity.generate(), retryTimes: 0 });
  });
  afterAll(() => http.close());

  it('a read_state is answered only once what it may certify is durable', async () => {
    commit.close();
    const before = commit.asked();
    const read = agent.readState(FAKE_CANISTER_ID, { paths: [[new TextEncoder().encode('time')]] });
    expect(await settles(read, 300)).toBe(false);
    expect(commit.asked()).toBe(before + 1);
    commit.open();
    const { certificate } = await read;
    expect(certificate.byteLength).toBeGreaterThan(0);
  });

  it('a synchronous call is answered only once it is durable', async () => {
    commit.close();
    const arg = IDL.encode([IDL.Text], ['kept']);
    const call = agent.call(FAKE_CANISTER_ID, { methodName: 'echo', arg, effectiveCanisterId: FAKE_CANISTER_ID });
    expect(await settles(call, 300)).toBe(false);
    commit.open();
    const { response } = await call;
    expect(response.status).toBe(200);
  });
});
