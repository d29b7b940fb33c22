// The interface's ingress history (what refuses replays and answers request_status): a record is
// kept until its expiry and the retention after it have passed, and forgotten at the first
// request after that — the history is scanned only once a record is due, not on every call.
import { HttpAgent } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { describe, expect, it } from 'vitest';
import { loadOrCreateKeys, MemoryKeyStore } from '../../../src/replica/http/keys.js';
import { startHttpInterface } from '../../../src/replica/http/server.js';
import type { IngressRecord } from '../../../src/replica/http/state_tree.js';
import { FAKE_CANISTER_ID, FakeReplica } from '../../support/fake_replica.js';

const MINUTE = 60n * 1_000_000_000n;

describe('the ingress history', () => {
  it('forgets a request once its expiry and retention have passed, and not before', async () => {
    const replica = new FakeReplica();
    const ingress = new Map<string, IngressRecord>();
    const http = await startHttpInterface({ replica, keys: loadOrCreateKeys(new MemoryKeyStore()), ingressHistory: ingress, port: 0 });
    // A fresh agent for each call: it syncs its clock with the replica when its expiry is refused.
    const call = async (text: string) => {
      const agent = await HttpAgent.create({ host: http.url, shouldFetchRootKey: true, identity: Ed25519KeyIdentity.generate() });
      const { requestId } = await agent.call(FAKE_CANISTER_ID, { methodName: 'echo', arg: IDL.encode([IDL.Text], [text]), effectiveCanisterId: FAKE_CANISTER_ID, callSync: false });
      return Buffer.from(requestId).toString('hex');
    };
    try {
      const first = await call('a');
      const second = await call('b');
      // The agents' expiries are their clock + 5 min; the retention adds 5 min: these two are due at ≈ 10 min.
      replica.clockOffsetNanos = 6n * MINUTE; // past their expiry, within the retention
      const third = await call('c'); // its agent syncs to the replica: due at ≈ 16 min
      expect([...ingress.keys()].sort()).toEqual([first, second, third].sort());
      replica.clockOffsetNanos = 12n * MINUTE; // the first two are due, the third not
      const fourth = await call('d');
      expect([...ingress.keys()].sort()).toEqual([third, fourth].sort());
      replica.clockOffsetNanos = 40n * MINUTE;
      const fifth = await call('e');
      expect([...ingress.keys()]).toEqual([fifth]);
    } finally {
      await http.close();
    }
  });
});
