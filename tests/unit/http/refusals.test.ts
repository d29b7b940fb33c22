// Requests the IC refuses are refused here with the IC's HTTP status and text, and never reach
// the replica: envelopes are signed by agent-js identities, then tampered with, and POSTed raw.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Actor, Cbor, Expiry, HttpAgent, type HttpAgentRequest, type Identity, requestIdOf, SubmitRequestType } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { DelegationChain, DelegationIdentity, ECDSAKeyIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1';
import { Principal } from '@icp-sdk/core/principal';
import { startHttpInterface, type HttpInterface } from '../../../src/replica/http/server.js';
import { loadOrCreateKeys, MemoryKeyStore, type ReplicaKeys } from '../../../src/replica/http/keys.js';
import { FAKE_CANISTER_ID, FakeReplica } from '../../support/fake_replica.js';

let replica: FakeReplica;
let http: HttpInterface;
let keys: ReplicaKeys;
const MINUTE_NANOS = 60n * 1_000_000_000n;

beforeAll(async () => {
  replica = new FakeReplica();
  keys = loadOrCreateKeys(new MemoryKeyStore());
  http = await startHttpInterface({ replica, keys, port: 0 });
});
afterAll(() => http.close());
beforeEach(() => {
  replica.executions.length = 0;
});

interface Content extends Record<string, unknown> {
  request_type: string;
  sender: Principal;
  ingress_expiry: Expiry | bigint;
}

function callContent(sender: Principal, overrides: Partial<Content> = {}): Content {
  return {
    request_type: SubmitRequestType.Call,
    canister_id: FAKE_CANISTER_ID,
    method_name: 'echo',
    arg: IDL.encode([IDL.Text], ['hi']),
    sender,
    ingress_expiry: Expiry.fromDeltaInMilliseconds(3 * 60_000),
    ...overrides,
  };
}

/** The envelope agent-js would send for `content`, signed by `identity`. */
async function sign(identity: Identity, content: Content): Promise<Record<string, unknown>> {
  const request = { request: { method: 'POST', headers: {} }, endpoint: 'call', body: content } as unknown as HttpAgentRequest;
  const signed = (await identity.transformRequest(request)) as { body: Record<string, unknown> };
  return signed.body;
}

async function post(path: string, envelope: unknown, contentType = 'application/cbor') {
  const body = envelope instanceof Uint8Array ? envelope : Cbor.encode(envelope);
  const res = await fetch(`${http.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body: body as Uint8Array<ArrayBuffer> });
  return { status: res.status, text: res.status >= 400 ? await res.text() : '', bytes: new Uint8Array(await res.arrayBuffer().catch(() => new ArrayBuffer(0))) };
}

const v4Call = `/api/v4/canister/${FAKE_CANISTER_ID.toText()}/call`;

describe('call refusals', () => {
  it('accepts the untampered envelope (control)', async () => {
    const id = Ed25519KeyIdentity.generate();
    const res = await post(v4Call, await sign(id, callContent(id.getPrincipal())));
    expect(res.status).toBe(200);
    expect(replica.executions).toHaveLength(1);
  });

  it('refuses a tampered signature with 400 and never executes', async () => {
    const id = Ed25519KeyIdentity.generate();
    const envelope = await sign(id, callContent(id.getPrincipal()));
    const sig = (envelope.sender_sig as Uint8Array).slice();
    sig[5] ^= 0x01;
    const res = await post(v4Call, { ...envelope, sender_sig: sig });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/^Invalid signature: Invalid basic signature: ed25519 signature could not be verified/);
    expect(replica.executions).toHaveLength(0);
  });

  it.each([
    ['secp256k1', async () => Secp256k1KeyIdentity.generate()],
    ['ECDSA P-256', () => ECDSAKeyIdentity.generate()],
  ] as Array<[string, () => Promise<Identity>]>)('refuses a tampered %s signature', async (scheme, make) => {
    const id = await make();
    const envelope = await sign(id, callContent(id.getPrincipal()));
    const sig = (envelope.sender_sig as Uint8Array).slice();
    sig[40] ^= 0x01;
    const res = await post(v4Call, { ...envelope, sender_sig: sig });
    expect(res.status).toBe(400);
    expect(res.text).toContain(`Invalid basic signature: ecdsa_${scheme === 'secp256k1' ? 'secp256k1' : 'p256'} signature could not be verified`);
    expect(replica.executions).toHaveLength(0);
  });

  it('refuses content changed after signing (request id no longer signed)', async () => {
    const id = Ed25519KeyIdentity.generate();
    const envelope = await sign(id, callContent(id.getPrincipal()));
    const content = { ...(envelope.content as Content), method_name: 'fail' };
    const res = await post(v4Call, { ...envelope, content });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/^Invalid signature/);
    expect(replica.executions).toHaveLength(0);
  });

  it('refuses a sender that is not the key’s self-authenticating principal', async () => {
    const id = Ed25519KeyIdentity.generate();
    const other = Ed25519KeyIdentity.generate().getPrincipal();
    const res = await post(v4Call, await sign(id, callContent(other)));
    expect(res.status).toBe(400);
    expect(res.text).toBe(`The user id ${other.toText()} does not match the public key ${Buffer.from(id.getPublicKey().toDer()).toString('hex')}`);
    expect(replica.executions).toHaveLength(0);
  });

  it('refuses a signed request claiming the anonymous sender', async () => {
    const id = Ed25519KeyIdentity.generate();
    const res = await post(v4Call, await sign(id, callContent(Principal.anonymous())));
    expect([res.status, res.text]).toEqual([400, 'Signature is not allowed for the anonymous user']);
  });

  it('refuses an unsigned request from a non-anonymous sender', async () => {
    const id = Ed25519KeyIdentity.generate();
    const res = await post(v4Call, { content: callContent(id.getPrincipal()) });
    expect([res.status, res.text]).toEqual([400, `Missing signature from user: ${id.getPrincipal().toText()}`]);
  });

  it.each([
    ['expired', -1n * MINUTE_NANOS],
    ['too far in the future', 6n * MINUTE_NANOS],
  ])('refuses an %s ingress_expiry with the text agent-js recognises', async (_label, delta) => {
    const id = Ed25519KeyIdentity.generate();
    const expiry = replica.time() + delta;
    const res = await post(v4Call, await sign(id, callContent(id.getPrincipal(), { ingress_expiry: expiry })));
    expect(res.status).toBe(400);
    expect(res.text.startsWith('Invalid request expiry: Specified ingress_expiry not within expected range')).toBe(true);
    expect(replica.executions).toHaveLength(0);
  });

  it('refuses a body over 5 MiB with 413, and an ingress message over 2 MiB with 413', async () => {
    const id = Ed25519KeyIdentity.generate();
    const huge = await post(v4Call, new Uint8Array(5 * 1024 * 1024 + 1));
    expect(huge.status).toBe(413);
    const big = await sign(id, callContent(id.getPrincipal(), { arg: new Uint8Array(2 * 1024 * 1024) }));
    const res = await post(v4Call, big);
    expect(res.status).toBe(413);
    expect(res.text).toMatch(/^Request 0x[0-9a-f]{64} is too large\. Message byte size \d+ is larger than the max allowed 2097152\.$/);
    expect(replica.executions).toHaveLength(0);
  });

  it('refuses a canister id that differs from the effective canister id in the URL', async () => {
    const id = Ed25519KeyIdentity.generate();
    const other = Principal.fromHex('00000000001000020101');
    const res = await post(v4Call, await sign(id, callContent(id.getPrincipal(), { canister_id: other })));
    expect(res.status).toBe(400);
    expect(res.text).toBe(`Specified CanisterId ${other.toText()} does not match effective canister id in URL ${FAKE_CANISTER_ID.toText()}`);
  });

  it('refuses malformed envelopes and wrong content types with 400', async () => {
    expect((await post(v4Call, new Uint8Array([0xff, 0x00]))).status).toBe(400);
    expect((await post(v4Call, { content: { request_type: 'query' } })).text).toMatch(/Could not parse body as call message/);
    const id = Ed25519KeyIdentity.generate();
    const res = await post(v4Call, await sign(id, callContent(id.getPrincipal())), 'application/json');
    expect([res.status, res.text]).toEqual([400, 'Unexpected content-type, expected application/cbor.']);
    expect(replica.executions).toHaveLength(0);
  });

  it('refuses a 4 MB deeply nested or huge CBOR map with 400, answering a status request meanwhile', async () => {
    // 4 MB of `{ "a": { "a": ... } }`: 1.4 million levels, then 0.
    const levels = Math.floor((4 * 1024 * 1024 - 1) / 3);
    const nested = Buffer.alloc(levels * 3 + 1);
    for (let i = 0; i < levels; i++) nested.set([0xa1, 0x61, 0x61], i * 3);
    // One map of 600 000 entries, keys 0..n as 4-byte unsigned ints: `{ 0: 0, 1: 0, ... }`.
    const entries = 600_000;
    const flat = Buffer.alloc(5 + entries * 6);
    flat[0] = 0xba;
    flat.writeUInt32BE(entries, 1);
    for (let i = 0; i < entries; i++) {
      flat[5 + i * 6] = 0x1a;
      flat.writeUInt32BE(i, 6 + i * 6);
    }
    for (const [body, why] of [[nested, /nested deeper than 16 levels/], [flat, /more than 200000 items/]] as const) {
      const big = post(v4Call, new Uint8Array(body));
      const status = fetch(`${http.url}/api/v2/status`);
      const [refused, answered] = await Promise.all([big, status]);
      expect(answered.status).toBe(200);
      expect(refused.status).toBe(400);
      expect(refused.text).toMatch(why);
    }
    expect(replica.executions).toHaveLength(0);
  });

  it('answers a reject at submission as non_replicated_rejection (v4) and bare reject (v2)', async () => {
    const id = Ed25519KeyIdentity.generate();
    const envelope = await sign(id, callContent(id.getPrincipal(), { method_name: 'refused_by_inspect' }));
    const v4 = await post(v4Call, envelope);
    expect(v4.status).toBe(200);
    expect(Cbor.decode(v4.bytes)).toMatchObject({ status: 'non_replicated_rejection', reject_code: 4, error_code: 'IC0406' });
    const v2 = await post(`/api/v2/canister/${FAKE_CANISTER_ID.toText()}/call`, envelope);
    expect(Cbor.decode(v2.bytes)).toMatchObject({ reject_code: 4, error_code: 'IC0406' });
  });
});

describe('synchronous call timeout', () => {
  it('answers 202 when the message does not complete, leaving the status to read_state', async () => {
    const id = Ed25519KeyIdentity.generate();
    const content = callContent(id.getPrincipal(), { method_name: 'never_completes' });
    const res = await post(v4Call, await sign(id, content));
    expect([res.status, res.bytes.length]).toEqual([202, 0]);
    expect(replica.ingressStatus(requestIdOf(content))).toEqual({ kind: 'processing' });
  });
});

describe('delegations', () => {
  async function delegatedIdentity(expiration: Date, targets?: Principal[]) {
    const root = Ed25519KeyIdentity.generate();
    const session = Ed25519KeyIdentity.generate();
    const chain = await DelegationChain.create(root, session.getPublicKey(), expiration, targets ? { targets } : undefined);
    return DelegationIdentity.fromDelegation(session, chain);
  }

  it('refuses an expired delegation', async () => {
    const id = await delegatedIdentity(new Date(Date.now() - 60_000));
    const res = await post(v4Call, await sign(id, callContent(id.getPrincipal())));
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/^Specified sender delegation has expired/);
    expect(replica.executions).toHaveLength(0);
  });

  it('refuses a canister outside the delegation targets', async () => {
    const id = await delegatedIdentity(new Date(Date.now() + 600_000), [Principal.fromHex('00000000001000020101')]);
    const res = await post(v4Call, await sign(id, callContent(id.getPrincipal())));
    expect([res.status, res.text]).toEqual([400, `Canister ${FAKE_CANISTER_ID.toText()} is not one of the delegation targets`]);
  });

  it('refuses a delegation whose signature does not match', async () => {
    const id = await delegatedIdentity(new Date(Date.now() + 600_000));
    const envelope = await sign(id, callContent(id.getPrincipal()));
    const [first] = envelope.sender_delegation as Array<{ delegation: unknown; signature: Uint8Array }>;
    const signature = first.signature.slice();
    signature[0] ^= 0x80;
    const res = await post(v4Call, { ...envelope, sender_delegation: [{ ...first, signature }] });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/^Invalid delegation: Invalid signature/);
    expect(replica.executions).toHaveLength(0);
  });
});

describe('read_state path rules', () => {
  const readStatePath = `/api/v3/canister/${FAKE_CANISTER_ID.toText()}/read_state`;
  const enc = (s: string) => new TextEncoder().encode(s);

  async function readState(identity: Identity, paths: Uint8Array[][]) {
    const content: Content = { request_type: 'read_state', paths, sender: identity.getPrincipal(), ingress_expiry: Expiry.fromDeltaInMilliseconds(60_000) };
    return post(readStatePath, await sign(identity, content));
  }

  it('refuses another sender’s request status with 403', async () => {
    const owner = Ed25519KeyIdentity.generate();
    const content = callContent(owner.getPrincipal());
    await post(`/api/v2/canister/${FAKE_CANISTER_ID.toText()}/call`, await sign(owner, content));
    const requestId = requestIdOf(content);
    const res = await readState(Ed25519KeyIdentity.generate(), [[enc('request_status'), requestId]]);
    expect([res.status, res.text]).toEqual([403, 'The user tries to access Request ID not signed by the caller.']);
    expect((await readState(owner, [[enc('request_status'), requestId]])).status).toBe(200);
  });

  it('answers 404 for paths the IC does not serve (certified_data, unknown roots)', async () => {
    const id = Ed25519KeyIdentity.generate();
    const certified = await readState(id, [[enc('canister'), FAKE_CANISTER_ID.toUint8Array(), enc('certified_data')]]);
    expect([certified.status, certified.text]).toEqual([404, 'Invalid path requested.']);
    expect((await readState(id, [[enc('nonsense')]])).status).toBe(404);
  });

  it('refuses a canister path for another canister than the effective one with 403', async () => {
    const id = Ed25519KeyIdentity.generate();
    const res = await readState(id, [[enc('canister'), Principal.fromHex('00000000001000020101').toUint8Array(), enc('module_hash')]]);
    expect(res.status).toBe(403);
  });
});

describe('query signatures', () => {
  it('makes agent-js refuse a query signed by a key other than the node key read_state lists', async () => {
    const impostor = await startHttpInterface({
      replica,
      keys: { ...keys, nodeSecretKey: loadOrCreateKeys(new MemoryKeyStore()).nodeSecretKey },
      port: 0,
    });
    try {
      const agent = await HttpAgent.create({ host: impostor.url, shouldFetchRootKey: true, identity: Ed25519KeyIdentity.generate() });
      const actor = Actor.createActor<{ whoami(): Promise<Principal> }>(
        ({ IDL }) => IDL.Service({ whoami: IDL.Func([], [IDL.Principal], ['query']) }),
        { agent, canisterId: FAKE_CANISTER_ID },
      );
      await expect(actor.whoami()).rejects.toThrow(/signature/i);
    } finally {
      await impostor.close();
    }
  });
});

describe('status and CORS', () => {
  it('serves CBOR status with the self-describe tag and CORS headers', async () => {
    const res = await fetch(`${http.url}/api/v2/status`);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Array.from(bytes.slice(0, 3))).toEqual([0xd9, 0xd9, 0xf7]);
    const status = Cbor.decode<Record<string, unknown>>(bytes);
    expect(Buffer.from(status.root_key as Uint8Array).equals(Buffer.from(keys.rootKeyDer))).toBe(true);
  });

  it('answers a browser preflight', async () => {
    const res = await fetch(`${http.url}/api/v3/canister/${FAKE_CANISTER_ID.toText()}/query`, { method: 'OPTIONS' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-headers')).toContain('content-type');
    expect(res.headers.get('access-control-max-age')).toBe('7200');
  });

  it('answers 404 for unknown routes', async () => {
    expect((await fetch(`${http.url}/api/v9/nothing`)).status).toBe(404);
  });
});
