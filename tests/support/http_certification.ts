// Certified HTTP on in-memory stores, with the certificate a replica would sign: what the unit
// tests of src/backend/http and of the gateway share.
import { sha256 } from '@noble/hashes/sha2.js';
import { Principal } from '@icp-sdk/core/principal';
import { verifyRequestResponsePair } from '@dfinity/response-verification';
import { CertifiedHttp, type HttpRequest, type HttpResponse, type ServedVariant } from '../../src/backend/http/asset_http.js';
import type { TreeStore } from '../../src/backend/http/certification_tree.js';
import { loadOrCreateKeys, MemoryKeyStore } from '../../src/replica/http/keys.js';
import { dataCertificate } from '../../src/replica/gateway/data_certificate.js';

export class MapStore implements TreeStore {
  readonly entries = new Map<string, Uint8Array>();
  writes = 0;
  get(key: Uint8Array) {
    return this.entries.get(Buffer.from(key).toString('hex'));
  }
  insert(key: Uint8Array, value: Uint8Array) {
    this.writes++;
    this.entries.set(Buffer.from(key).toString('hex'), value.slice());
  }
  remove(key: Uint8Array) {
    this.entries.delete(Buffer.from(key).toString('hex'));
  }
}

export const CANISTER_ID = Principal.fromText('bkyz2-fmaaa-aaaaa-qaaaq-cai');
export const NOW_NS = 1_800_000_000_000_000_000n;
const keys = loadOrCreateKeys(new MemoryKeyStore());
export const ROOT_KEY_DER = keys.rootKeyDer;

/** A canister's certified HTTP: the module over a map, certified data kept as the replica would. */
export class CertifiedCanister {
  readonly store = new MapStore();
  certifiedData = new Uint8Array(0);
  readonly http = new CertifiedHttp({
    sha256,
    store: this.store,
    setCertifiedData: (hash) => (this.certifiedData = hash.slice()),
    dataCertificate: () => dataCertificate(keys.rootSecretKey, CANISTER_ID.toUint8Array(), this.certifiedData, NOW_NS)
  });
  readonly assets = new Map<string, ServedVariant[]>();

  constructor() {
    this.http.restore();
  }

  put(assetId: string, variants: ServedVariant[]): void {
    this.assets.set(assetId, variants);
    this.http.setAsset(assetId, variants);
  }

  remove(assetId: string): void {
    this.assets.delete(assetId);
    this.http.setAsset(assetId, []);
  }

  request(url: string, init: { method?: string; headers?: [string, string][] } = {}): { request: HttpRequest; response: HttpResponse } {
    const request: HttpRequest = { method: init.method ?? 'GET', url, headers: init.headers ?? [], body: new Uint8Array(0), certificate_version: [2] };
    const response = this.http.handle(request, (id, variant) => this.assets.get(id)?.find((v) => v.variant === variant));
    return { request, response };
  }
}

/** A variant over bytes in memory, cut into chunks of `chunkSize`. */
export function variantOf(variant: string, bytes: Uint8Array, chunkSize: number, extra: Partial<ServedVariant> = {}): ServedVariant {
  const chunkCount = Math.max(1, Math.ceil(bytes.length / chunkSize));
  const chunk = (i: number) => bytes.subarray(i * chunkSize, Math.min(bytes.length, (i + 1) * chunkSize));
  return {
    variant,
    contentType: 'application/octet-stream',
    fileName: `${variant}.bin`,
    size: bytes.length,
    sha256: sha256(bytes),
    chunkSize,
    chunkCount,
    chunkSha256: (i) => sha256(chunk(i)),
    readChunk: (i) => chunk(i).slice(),
    ownedByController: true,
    ...extra
  };
}

/** DFINITY's verifier on a request/response pair; throws its ResponseVerificationError on failure. */
export function verify(request: HttpRequest, response: Pick<HttpResponse, 'status_code' | 'headers' | 'body'>, certifiedTo = CANISTER_ID) {
  return verifyRequestResponsePair(
    { url: request.url, method: request.method, headers: request.headers, body: request.body, certificate_version: [2] },
    { status_code: response.status_code, headers: response.headers, body: response.body },
    certifiedTo.toUint8Array(),
    NOW_NS,
    300_000_000_000n,
    ROOT_KEY_DER,
    2
  );
}
