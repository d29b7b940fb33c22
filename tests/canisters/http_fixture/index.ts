// Test canister for certified HTTP: src/backend/http over stable maps, serving assets it is
// handed whole (cut into chunks of the size asked for). It shows the module running in QuickJS
// inside Azle, and reports the instructions of each tree update and of its upgrade hooks.
import type { IDL as CandidIDL } from '@icp-sdk/core/candid';
import { certifiedDataSet, dataCertificate, IDL, init, performanceCounter, postUpgrade, query, StableBTreeMap, update } from 'azle';

import { httpGatewayTypes } from '../../../candid/http_gateway.js';
import { CertifiedHttp, type HttpRequest, type HttpResponse, type PublicVariant, type ServedVariant } from '../../../src/backend/http/asset_http.js';
import { sha256 } from '../../../src/backend/hash/sha256.js';

const identity = { toBytes: (b: Uint8Array) => b, fromBytes: (b: Uint8Array) => b };
const treeNodes = new StableBTreeMap<Uint8Array, Uint8Array>(0, identity, identity);
/** asset id → its variants' descriptions (a test fixture's JSON of texts and numbers). */
const catalogue = new StableBTreeMap<string, string>(1);
/** `<asset id>\0<variant>\0<chunk index>` → chunk bytes. */
const chunks = new StableBTreeMap<string, Uint8Array>(2, { toBytes: (s: string) => new TextEncoder().encode(s), fromBytes: (b: Uint8Array) => new TextDecoder().decode(b) }, identity);

interface StoredVariant {
  variant: string;
  contentType: string;
  fileName: string;
  size: number;
  sha256: string;
  chunkSize: number;
  chunkSha256: string[];
  ownedByController: boolean;
}

const fromHex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

const http = new CertifiedHttp({
  sha256,
  store: treeNodes,
  setCertifiedData: (hash) => certifiedDataSet(hash),
  dataCertificate: () => dataCertificate()
});

function described(assetId: string, v: StoredVariant): ServedVariant {
  return {
    variant: v.variant,
    contentType: v.contentType,
    fileName: v.fileName,
    size: v.size,
    sha256: fromHex(v.sha256),
    chunkSize: v.chunkSize,
    chunkCount: v.chunkSha256.length,
    chunkSha256: (i) => fromHex(v.chunkSha256[i]),
    ownedByController: v.ownedByController,
    readChunk: (i) => chunks.get(`${assetId}\0${v.variant}\0${i}`) ?? new Uint8Array(0)
  };
}

function variantsOf(assetId: string): StoredVariant[] {
  const json = catalogue.get(assetId);
  return json ? (JSON.parse(json) as StoredVariant[]) : [];
}

let upgradeInstructions = 0n;

function serve(request: HttpRequest): HttpResponse {
  return http.handle(request, (assetId, variant) => {
    const v = variantsOf(assetId).find((x) => x.variant === variant);
    return v && described(assetId, v);
  });
}

// Azle bundles its own @dfinity/candid; its IDL has the same classes the factory expects.
const { HttpRequest: HttpRequestType, HttpResponse: HttpResponseType } = httpGatewayTypes(IDL as unknown as typeof CandidIDL) as unknown as Record<
  'HttpRequest' | 'HttpResponse',
  IDL.Type
>;

export default class {
  @init([])
  init(): void {
    http.restore();
  }

  @postUpgrade([])
  postUpgrade(): void {
    http.restore();
    upgradeInstructions = performanceCounter(0);
  }

  /** Stores `bytes` as `variant` of `asset_id` and certifies the asset; answers the tree update's instructions. */
  @update([IDL.Text, IDL.Text, IDL.Text, IDL.Nat32, IDL.Vec(IDL.Nat8), IDL.Bool], IDL.Nat64)
  put(assetId: string, variant: string, contentType: string, chunkSize: number, bytes: Uint8Array, ownedByController: boolean): bigint {
    const digests: string[] = [];
    for (let i = 0, at = 0; at < bytes.length || i === 0; i++, at += chunkSize) {
      const chunk = bytes.slice(at, Math.min(bytes.length, at + chunkSize));
      chunks.insert(`${assetId}\0${variant}\0${i}`, chunk);
      digests.push(toHex(sha256(chunk)));
    }
    const stored: StoredVariant = { variant, contentType, fileName: assetId.split('/').pop() ?? assetId, size: bytes.length, sha256: toHex(sha256(bytes)), chunkSize, chunkSha256: digests, ownedByController };
    const variants = [...variantsOf(assetId).filter((v) => v.variant !== variant), stored];
    catalogue.insert(assetId, JSON.stringify(variants));
    const start = performanceCounter(0);
    http.setAsset(assetId, variants.map((v) => described(assetId, v) as PublicVariant));
    return performanceCounter(0) - start;
  }

  /** Stops serving `asset_id` (as making it private would); answers the tree update's instructions. */
  @update([IDL.Text], IDL.Nat64)
  hide(assetId: string): bigint {
    const start = performanceCounter(0);
    http.setAsset(assetId, []);
    return performanceCounter(0) - start;
  }

  /** Serves `asset_id` again from what is stored. */
  @update([IDL.Text], IDL.Nat64)
  show(assetId: string): bigint {
    const start = performanceCounter(0);
    http.setAsset(assetId, variantsOf(assetId).map((v) => described(assetId, v)));
    return performanceCounter(0) - start;
  }

  @query([], IDL.Nat64)
  upgrade_instructions(): bigint {
    return upgradeInstructions;
  }

  @query([HttpRequestType], HttpResponseType)
  http_request(request: HttpRequest): HttpResponse {
    return serve(request);
  }

  /** The instructions `http_request` spends answering `request` (Candid encoding aside). */
  @query([HttpRequestType], IDL.Nat64)
  http_request_instructions(request: HttpRequest): bigint {
    const start = performanceCounter(0);
    serve(request);
    return performanceCounter(0) - start;
  }
}
