// The Candid of a canister's `http_request` (HTTP Gateway Protocol specification, "Canister
// HTTP Interface"), the gateway's wire to the canister.
import { IDL } from '@icp-sdk/core/candid';
import { httpGatewayTypes } from '../../../candid/http_gateway.js';

export type HeaderField = [string, string];

export interface CanisterHttpRequest {
  method: string;
  url: string;
  headers: HeaderField[];
  body: Uint8Array;
  certificate_version: [] | [number];
}

export interface CanisterHttpResponse {
  status_code: number;
  headers: HeaderField[];
  body: Uint8Array;
  /** Present when the canister streams the body through callbacks, which this gateway does not follow. */
  streaming: boolean;
  upgrade: boolean;
}

const { HttpRequest: HttpRequestType, HttpResponse: HttpResponseType } = httpGatewayTypes(IDL, IDL.Reserved);

export function encodeHttpRequest(request: CanisterHttpRequest): Uint8Array {
  return new Uint8Array(IDL.encode([HttpRequestType], [request]));
}

export function decodeHttpResponse(bytes: Uint8Array): CanisterHttpResponse {
  const [value] = IDL.decode([HttpResponseType], bytes) as unknown as [
    { status_code: number; headers: HeaderField[]; body: Uint8Array | number[]; streaming_strategy: [] | [unknown]; upgrade: [] | [boolean] }
  ];
  return {
    status_code: value.status_code,
    headers: value.headers,
    body: value.body instanceof Uint8Array ? value.body : Uint8Array.from(value.body),
    streaming: value.streaming_strategy.length > 0,
    upgrade: value.upgrade[0] === true
  };
}

// The canister side, for test canisters and fakes that answer `http_request` over the wire.
export function decodeHttpRequest(bytes: Uint8Array): CanisterHttpRequest {
  const [value] = IDL.decode([HttpRequestType], bytes) as unknown as [CanisterHttpRequest & { body: Uint8Array | number[] }];
  return { ...value, body: value.body instanceof Uint8Array ? value.body : Uint8Array.from(value.body) };
}

export function encodeHttpResponse(response: { status_code: number; headers: HeaderField[]; body: Uint8Array }): Uint8Array {
  return new Uint8Array(IDL.encode([HttpResponseType], [{ ...response, streaming_strategy: [], upgrade: [] }]));
}
