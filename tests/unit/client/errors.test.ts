// Errors read for a person: agent-js errors by their fields (reject code, reject text, IC error
// code), never by the first line of their multi-line message.
import {
  CertificateNotAuthorizedErrorCode,
  CertifiedRejectErrorCode,
  HttpErrorCode,
  HttpFetchErrorCode,
  ProtocolError,
  RejectError,
  TransportError,
  TrustError,
  UncertifiedRejectErrorCode,
  UncertifiedRejectUpdateErrorCode
} from '@icp-sdk/core/agent';
import { Principal } from '@icp-sdk/core/principal';
import { describe, expect, it } from 'vitest';
import { messageOf, RetriesExhaustedError, summarizeError, UploadError } from '../../../src/client/errors.js';

const MISSING = 'lm4fb-uh777-77777-aaacq-cai';
const requestId = new Uint8Array(32).fill(7) as never;

function notFound(kind: 'query' | 'update' | 'certified') {
  const text = `Canister ${MISSING} not found`;
  const code =
    kind === 'query'
      ? new UncertifiedRejectErrorCode(requestId, 3, text, 'IC0301', undefined)
      : kind === 'update'
        ? new UncertifiedRejectUpdateErrorCode(requestId, 3, text, 'IC0301')
        : new CertifiedRejectErrorCode(requestId, 3, text, 'IC0301');
  code.callContext = { canisterId: Principal.fromText(MISSING), methodName: 'list_assets' };
  return RejectError.fromCode(code);
}

describe('error summaries', () => {
  it('keeps the reason and IC error code of a replica rejection, from query, update and certified rejects', () => {
    for (const kind of ['query', 'update', 'certified'] as const) {
      const error = notFound(kind);
      expect(error.message.split('\n')[0]).toBe('The replica returned a rejection error:'); // what used to be shown
      expect(summarizeError(error)).toEqual({
        message: `canister ${MISSING} not found on this network (IC0301: Canister ${MISSING} not found)`,
        code: 'IC0301'
      });
    }
  });

  it('names what happened for canister rejects and traps, and folds multi-line reject texts', () => {
    const trap = new UncertifiedRejectUpdateErrorCode(requestId, 5, 'Error from Canister x: Canister called `ic0.trap` with message:\n  boom', 'IC0503');
    trap.callContext = { canisterId: Principal.fromText(MISSING), methodName: 'begin' };
    expect(messageOf(RejectError.fromCode(trap))).toBe(
      `canister ${MISSING} failed while handling the call (IC0503: Error from Canister x: Canister called \`ic0.trap\` with message: boom)`
    );
    const noCode = new UncertifiedRejectUpdateErrorCode(requestId, 4, 'go away', undefined);
    expect(summarizeError(RejectError.fromCode(noCode))).toEqual({ message: 'the canister rejected the call (reject code 4: go away)' });
  });

  it('says a canister outside the network’s ranges is not on this network', () => {
    const subnet = Principal.fromText('tcexg-c7v4e-7rbzi-mmqx7-ntghl-7zhb4-7vozh-lcka5-ti6ci-j7cbq-2qe');
    const trust = TrustError.fromCode(new CertificateNotAuthorizedErrorCode(Principal.fromText('ryjl3-tyaaa-aaaaa-aaaba-cai'), subnet));
    expect(summarizeError(trust)).toEqual({
      message: `canister ryjl3-tyaaa-aaaaa-aaaba-cai is not on this network (subnet ${subnet.toText()} does not host it)`,
      code: 'CanisterNotOnNetwork'
    });
    const http = new HttpErrorCode(400, 'Bad Request', [['content-type', 'text/plain']], 'Effective canister id ryjl3-tyaaa-aaaaa-aaaba-cai does not belong to the canister ranges of this subnet.');
    http.callContext = { canisterId: Principal.fromText('ryjl3-tyaaa-aaaaa-aaaba-cai'), methodName: 'begin', httpDetails: {} as never };
    const protocol = ProtocolError.fromCode(http);
    expect(protocol.message.split('\n')[0]).toBe('HTTP request failed:');
    expect(summarizeError(protocol)).toEqual({
      message:
        'the network refused the request to canister ryjl3-tyaaa-aaaaa-aaaba-cai (HTTP 400 Bad Request: Effective canister id ryjl3-tyaaa-aaaaa-aaaba-cai does not belong to the canister ranges of this subnet)',
      code: 'HTTP400'
    });
  });

  it('spells out a network that cannot be reached, and wrappers take their cause’s code', () => {
    const refused = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
    const transport = TransportError.fromCode(new HttpFetchErrorCode(refused));
    expect(summarizeError(transport)).toEqual({ message: 'could not reach the network (fetch failed: connect ECONNREFUSED 127.0.0.1:1)', code: 'NetworkUnreachable' });
    const exhausted = new RetriesExhaustedError('a.bin', 'put_chunk', 8, transport);
    expect(summarizeError(exhausted).code).toBe('NetworkUnreachable');
    expect(exhausted.message).toContain('could not reach the network (fetch failed: connect ECONNREFUSED 127.0.0.1:1)');
    const wrapped = new UploadError(messageOf(notFound('update')), 'a.bin', { cause: notFound('update') });
    expect(summarizeError(wrapped).code).toBe('IC0301');
    expect(summarizeError(new Error('first\n  second'))).toEqual({ message: 'first' });
  });
});
