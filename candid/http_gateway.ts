// The Candid of `http_request` (HTTP Gateway Protocol specification, "Canister HTTP
// Interface"), written once: canisters build it with Azle's IDL, the gateway and tests with
// agent-js's.
import type { IDL as CandidIDL } from '@icp-sdk/core/candid';

type Idl = typeof CandidIDL;

/**
 * The request and response records. A streaming token's type is each canister's own: a gateway
 * that decodes any canister's answer passes `IDL.Reserved`.
 */
export function httpGatewayTypes(IDL: Idl, token: CandidIDL.Type = IDL.Record({})) {
  const HeaderField = IDL.Tuple(IDL.Text, IDL.Text);
  const HttpRequest = IDL.Record({
    method: IDL.Text,
    url: IDL.Text,
    headers: IDL.Vec(HeaderField),
    body: IDL.Vec(IDL.Nat8),
    certificate_version: IDL.Opt(IDL.Nat16)
  });
  const StreamingCallbackHttpResponse = IDL.Record({ body: IDL.Vec(IDL.Nat8), token: IDL.Opt(token) });
  const StreamingStrategy = IDL.Variant({
    Callback: IDL.Record({ callback: IDL.Func([token], [StreamingCallbackHttpResponse], ['query']), token })
  });
  const HttpResponse = IDL.Record({
    status_code: IDL.Nat16,
    headers: IDL.Vec(HeaderField),
    body: IDL.Vec(IDL.Nat8),
    streaming_strategy: IDL.Opt(StreamingStrategy),
    upgrade: IDL.Opt(IDL.Bool)
  });
  return { HeaderField, HttpRequest, HttpResponse, StreamingStrategy };
}
