// Shared by the end-to-end tests of certified HTTP on the local network.
import { verifyRequestResponsePair } from '@dfinity/response-verification';
import { Principal } from '@icp-sdk/core/principal';

type Header = [string, string];

/** Verifies a canister's `http_request` answer as a gateway would, independently of ours. */
export function verifyCanisterResponse(
  request: { method: string; url: string; headers: Header[]; body: Uint8Array; certificate_version: [] | [number] },
  response: { status_code: number; headers: Header[]; body: Uint8Array | number[] },
  canisterId: string,
  rootKey: Uint8Array
) {
  return verifyRequestResponsePair(
    request,
    { status_code: response.status_code, headers: response.headers, body: Uint8Array.from(response.body) },
    Principal.fromText(canisterId).toUint8Array(),
    BigInt(Date.now()) * 1_000_000n,
    300_000_000_000n,
    rootKey,
    2
  );
}

/** The same module with one more custom section: a new module hash, so the network upgrades to it. */
export function withMarker(wasm: Uint8Array, marker: number): Uint8Array {
  const name = new TextEncoder().encode('icu-upgrade-marker');
  const content = Uint8Array.from([name.length, ...name, marker]);
  return Uint8Array.from([...wasm, 0, content.length, ...content]);
}
