// The CLI's request id (src/cli/request_id.ts) against agent-js's requestIdOf, on the bodies
// agent-js builds (principals, an Expiry, a nonce, a large arg, read_state paths) and on every
// other kind of value its hash defines; and the native identity's signed envelope against
// agent-js's own Ed25519 identity, byte for byte.
import { randomBytes } from 'node:crypto';
import { Expiry, requestIdOf as agentRequestId } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { describe, expect, it } from 'vitest';
import { NativeEd25519KeyIdentity } from '../../../src/cli/identity.js';
import { requestIdOf, UnhashableValueError } from '../../../src/cli/request_id.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const canister = Principal.fromText('ryjl3-tyaaa-aaaaa-aaaba-cai');
const sender = Ed25519KeyIdentity.generate().getPrincipal();

function callBody(argBytes: number, nonce?: Uint8Array): Record<string, unknown> {
  return {
    request_type: 'call',
    canister_id: canister,
    method_name: 'put_chunk',
    arg: new Uint8Array(randomBytes(argBytes)),
    sender,
    ingress_expiry: Expiry.fromDeltaInMilliseconds(240_000),
    ...(nonce ? { nonce } : {})
  };
}

describe('request ids', () => {
  it('are agent-js’s bytes for call, query and read_state bodies, a 2 MB arg included', () => {
    const bodies: Array<Record<string, unknown>> = [
      callBody(0),
      callBody(10_000, new Uint8Array(randomBytes(16))),
      callBody(2_000_000),
      { ...callBody(120), request_type: 'query', method_name: 'get_asset' },
      {
        request_type: 'read_state',
        sender,
        paths: [[new TextEncoder().encode('request_status'), new Uint8Array(randomBytes(32))], [new TextEncoder().encode('time')]],
        ingress_expiry: Expiry.fromDeltaInMilliseconds(60_000)
      }
    ];
    for (const body of bodies) expect(hex(requestIdOf(body))).toBe(hex(agentRequestId(body as never)));
  });

  it('hash every value kind as agent-js does: numbers, bigints, text, views, arrays, maps; skip undefined; refuse the rest', () => {
    const body = {
      n: 624485,
      big: 2n ** 70n,
      text: 'é photo ✓',
      view: new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2),
      list: [1, 'a', new Uint8Array([9]), [2n]],
      map: { inner: 'x', deeper: { y: 5 } },
      gone: undefined
    };
    expect(hex(requestIdOf(body))).toBe(hex(agentRequestId(body as never)));
    expect(hex(requestIdOf({}))).toBe(hex(agentRequestId({} as never)));
    expect(() => requestIdOf({ flag: true })).toThrow(UnhashableValueError);
  });

  it('sign the same envelope as agent-js’s Ed25519 identity', async () => {
    const seed = new Uint8Array(randomBytes(32));
    const [native, reference] = [NativeEd25519KeyIdentity.fromSecretKey(seed), Ed25519KeyIdentity.fromSecretKey(seed)];
    const body = callBody(50_000, new Uint8Array(randomBytes(8)));
    const request = { request: { method: 'POST' }, endpoint: 'call', body } as never;
    const [ours, theirs] = (await Promise.all([native.transformRequest(request), reference.transformRequest(request)])) as Array<{
      endpoint: string;
      body: { content: unknown; sender_pubkey: Uint8Array; sender_sig: Uint8Array };
    }>;
    expect(ours.endpoint).toBe('call');
    expect(ours.body.content).toBe(body);
    expect(hex(ours.body.sender_pubkey)).toBe(hex(theirs.body.sender_pubkey));
    expect(hex(ours.body.sender_sig)).toBe(hex(theirs.body.sender_sig));
  });
});
