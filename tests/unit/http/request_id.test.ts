import { describe, expect, it } from 'vitest';
import { Expiry, requestIdOf as agentRequestIdOf } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { decodeCbor } from '../../../src/replica/http/cbor.js';
import { Cbor } from '@icp-sdk/core/agent';
import { hashOfMap, requestIdOf, sleb128, uleb128 } from '../../../src/replica/http/request_id.js';
import { MalformedRequestError } from '../../../src/replica/http/errors.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('representation-independent hash', () => {
  it('reproduces the spec’s worked request id example', () => {
    const id = requestIdOf({
      request_type: 'call',
      sender: Uint8Array.of(0x04),
      ingress_expiry: 1685570400000000000n,
      canister_id: Uint8Array.from(Buffer.from('00000000000004D2', 'hex')),
      method_name: 'hello',
      arg: Uint8Array.from(Buffer.from('4449444c00fd2a', 'hex')), // "DIDL\x00\xFD*"
    });
    expect(hex(id)).toBe('1d1091364d6bb8a6c16b203ee75467d59ead468f523eb058880ae8ec80e2b101');
  });

  it('encodes LEB128 as the spec’s examples', () => {
    expect(hex(uleb128(0n))).toBe('00');
    expect(hex(uleb128(624485n))).toBe('e58e26');
    expect(hex(sleb128(-123456n))).toBe('c0bb78');
    expect(hex(sleb128(0n))).toBe('00');
  });

  it('matches agent-js on what agent-js sends, after the CBOR round trip (nonce, blobs, big expiry, nested maps)', () => {
    for (let i = 0; i < 20; i++) {
      const content = {
        request_type: 'call',
        canister_id: Principal.fromHex('00000000001000010101'),
        method_name: `m${i}`,
        arg: IDL.encode([IDL.Text, IDL.Nat], ['x'.repeat(i * 13), BigInt(i) ** 20n]),
        sender: Principal.anonymous(),
        nonce: crypto.getRandomValues(new Uint8Array(16)),
        ingress_expiry: Expiry.fromDeltaInMilliseconds(i * 7_000),
        paths: [[new TextEncoder().encode('time')], []],
        sender_info: { info: new Uint8Array([i]), signer: new Uint8Array(10) },
      };
      const decoded = decodeCbor(Cbor.encode(content)) as Record<string, unknown>;
      expect(hex(requestIdOf(decoded))).toBe(hex(agentRequestIdOf(content)));
    }
  });

  it('refuses values the spec cannot hash instead of throwing a TypeError', () => {
    expect(() => hashOfMap({ a: null })).toThrow(MalformedRequestError);
    expect(() => hashOfMap({ a: true })).toThrow(MalformedRequestError);
    expect(() => hashOfMap({ a: 1.5 })).toThrow(MalformedRequestError);
  });
});
