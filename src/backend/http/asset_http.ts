// Serving public assets over HTTP with every response certified: what a response of an asset
// looks like (one function, used both to certify it and to serve it), which entries of the
// certification tree an asset has, and `http_request` itself. It knows assets only through
// `PublicVariant`, and the IC only through `HttpPlatform`.
import { CertificationTree, type StagedLevel, type TreePath, type TreeStore } from './certification_tree.js';
import {
  CERTIFICATE_EXPRESSION_HEADER,
  CERTIFICATE_HEADER,
  CertificationHashes,
  CONTENT_EXPRESSION,
  certificateHeaderValue,
  exactExpressionPath,
  moreSpecificWildcards,
  NOT_FOUND_EXPRESSION,
  NOT_MODIFIED_EXPRESSION,
  pathSegments,
  ROOT_WILDCARD_PATH,
  type HeaderField
} from './certification.js';
import { utf8, type HashTree, type Sha256 } from './hash_tree.js';
import { toHex as hex } from '../../shared/bytes.js';
import type { HttpRequest, HttpResponse } from '../../../candid/ic_upload.js';

export type { HttpRequest, HttpResponse, StagedLevel };

/** One public variant of an asset, as the asset catalogue describes it. */
export interface PublicVariant {
  variant: string;
  contentType: string;
  fileName: string;
  size: number;
  sha256: Uint8Array;
  chunkSize: number;
  chunkCount: number;
  /** The SHA-256 of chunk `index` alone (kept beside the chunk at upload). */
  chunkSha256(index: number): Uint8Array;
  /** A controller's assets (the app) are served as they are; anyone else's are sandboxed. */
  ownedByController: boolean;
}

/** A variant being served: its description and its bytes. */
export interface ServedVariant extends PublicVariant {
  readChunk(index: number): Uint8Array;
}

/** Answers the public variant `variant` of `assetId`, or undefined (missing or private). */
export type VariantLookup = (assetId: string, variant: string) => ServedVariant | undefined;

/** What serving needs from the IC. */
export interface HttpPlatform {
  sha256: Sha256;
  /** The persisted nodes of the certification tree (a stable map of its own). */
  store: TreeStore;
  /** `ic0.certified_data_set`. */
  setCertifiedData(hash: Uint8Array): void;
  /** `ic0.data_certificate_copy` in a query; undefined where there is none (an update call). */
  dataCertificate(): Uint8Array | undefined;
}

export const ORIGINAL_VARIANT = 'original';
const NOT_FOUND_BODY = utf8('Not found\n');
const ACTIVE_CONTENT = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|text\/xsl|[a-z]+\/[a-z0-9.+-]*\+xml|text\/javascript|application\/javascript|application\/x-javascript|application\/ecmascript|text\/ecmascript)$/;

/** What a content response is: the whole body, one piece, its headers alone, or 304. */
type ContentKind = { kind: 'whole' } | { kind: 'piece'; index: number } | { kind: 'head' } | { kind: 'not_modified' };

interface Response {
  status: number;
  headers: HeaderField[];
  bodyHash: Uint8Array;
}

export function etagOf(sha256: Uint8Array): string {
  return `"${hex(sha256)}"`;
}

/** The query a variant's URL carries: none for the original, `variant=<name>` otherwise. */
export function variantQuery(variant: string): string | undefined {
  return variant === ORIGINAL_VARIANT ? undefined : `variant=${encodeURIComponent(variant)}`;
}

/** Every query a variant is served at: the original also at `?variant=original`. */
function queriesOf(variant: string): (string | undefined)[] {
  return variant === ORIGINAL_VARIANT ? [undefined, `variant=${ORIGINAL_VARIANT}`] : [variantQuery(variant)];
}

/**
 * An asset id is served at `/<id>` when the verifier's path split gives back exactly its
 * segments. The id "" stands for `/` itself (no asset has it: ids are never empty).
 */
export function servableSegments(assetId: string): string[] | undefined {
  if (assetId === '') return [''];
  const segments = pathSegments(assetId);
  return segments.join('/') === assetId ? segments : undefined;
}

/** GET responses (one, or one per piece), HEAD and 304: what each query of a variant certifies. */
function entriesPerQuery(v: PublicVariant): number {
  return (v.chunkCount <= 1 ? 1 : v.chunkCount) + 2;
}

function safeHeaderValue(text: string, fallback: string): string {
  return /^[\x20-\x7e]*$/.test(text) && text.length > 0 ? text : fallback;
}

/** The first byte a `Range: bytes=…` header asks for, if the body has it. */
function rangeStart(header: string | undefined, size: number): number | undefined {
  const m = header ? /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)/i.exec(header) : null;
  if (!m) return undefined;
  const start = m[1] !== '' ? Number(m[1]) : m[2] !== '' ? Math.max(0, size - Number(m[2])) : NaN;
  return start >= 0 && start < size ? start : undefined;
}

function header(request: HttpRequest, name: string): string | undefined {
  for (const [n, v] of request.headers) if (n.toLowerCase() === name) return v;
  return undefined;
}

export class CertifiedHttp {
  private readonly tree: CertificationTree;
  private readonly hashes: CertificationHashes;
  private readonly notFoundHash: Uint8Array;

  constructor(private readonly platform: HttpPlatform) {
    this.tree = new CertificationTree(platform.store, platform.sha256);
    this.hashes = new CertificationHashes(platform.sha256);
    const nf = this.notFoundResponse();
    this.notFoundHash = this.hashes.responseHash(nf.status, nf.headers, nf.bodyHash);
  }

  /**
   * Certifies the canister-wide 404 (once) and sets the certified data from the stored tree.
   * Call in `init` and `post_upgrade`: it costs the same whatever the number of assets.
   */
  restore(): void {
    const fallback = this.fallbackPath();
    if (!this.tree.has(fallback)) this.tree.insert(fallback);
    this.platform.setCertifiedData(this.tree.rootHash());
  }

  /**
   * Replaces what is certified for `assetId` by its public `variants` ([] when it is private or
   * deleted) and sets the certified data, in one message: for assets whose entries fit in one
   * (`entryCount`); larger ones are staged over several messages (`stage`, `publish`). Answers
   * false for an id no URL can name (an empty segment, `a//b`), which is then never served.
   */
  setAsset(assetId: string, variants: readonly PublicVariant[]): boolean {
    if (!this.withdraw(assetId)) return false;
    if (variants.length === 0) return true;
    let level = this.tree.newStagedLevel();
    for (let i = 0; i < this.entryCount(variants); i++) level = this.stage(level, variants, i);
    this.publish(assetId, level);
    return true;
  }

  /**
   * Stops serving `assetId` at once: its entries leave the tree (their nodes are freed later,
   * `collectGarbage`) and its URL answers the certified 404. Answers false for an id no URL can name.
   */
  withdraw(assetId: string): boolean {
    const segments = servableSegments(assetId);
    if (!segments) return false;
    const path = exactExpressionPath(segments).map(utf8);
    // Most changes are to assets not served (private uploads finishing): a lookup, no rewrite.
    if (this.tree.has(path)) {
      this.tree.detach(path);
      this.platform.setCertifiedData(this.tree.rootHash());
    }
    return true;
  }

  /** How many tree entries the asset's public variants have: each is one `stage` call. */
  entryCount(variants: readonly PublicVariant[]): number {
    let count = 1;
    for (const v of variants) count += queriesOf(v.variant).length * entriesPerQuery(v);
    return count;
  }

  /** A new staged level for an asset's entries. */
  newStagedLevel(): StagedLevel {
    return this.tree.newStagedLevel();
  }

  /** Adds entry `index` (0 ≤ index < entryCount) of the variants to a staged level. */
  stage(level: StagedLevel, variants: readonly PublicVariant[], index: number): StagedLevel {
    return this.tree.stage(level, this.entryAt(variants, index));
  }

  /** Makes a fully staged level what `assetId` serves, and sets the certified data. */
  publish(assetId: string, level: StagedLevel): void {
    const segments = servableSegments(assetId);
    if (!segments) return;
    this.tree.attach(exactExpressionPath(segments).map(utf8), level);
    this.platform.setCertifiedData(this.tree.rootHash());
  }

  /** Gives up a staged level (its asset changed before it was published). */
  discard(level: StagedLevel): void {
    this.tree.discard(level);
  }

  /** Frees nodes of withdrawn and discarded levels while `more()` allows; true when none is left. */
  collectGarbage(more: () => boolean): boolean {
    return this.tree.collectGarbage(more);
  }

  hasGarbage(): boolean {
    return this.tree.hasGarbage();
  }

  /** The certified root hash (what `certified_data` holds after every change). */
  rootHash(): Uint8Array {
    return this.tree.rootHash();
  }

  /** `http_request`: the certified response to `request`. */
  handle(request: HttpRequest, lookup: VariantLookup): HttpResponse {
    const [rawPath, rawQuery] = splitUrl(request.url);
    const path = decodePath(rawPath);
    const segments = pathSegments(path);
    const assetId = path.startsWith('/') ? path.slice(1) : path;
    const exact = exactExpressionPath(segments);
    if (!this.tree.has(exact.map(utf8))) return this.notFound(segments);

    const variantParams = certifiedQuery(rawQuery);
    let variant = ORIGINAL_VARIANT;
    if (variantParams !== undefined) {
      const value = variantParams.startsWith('variant=') ? variantParams.slice('variant='.length) : '';
      try {
        variant = decodeURIComponent(value);
      } catch {
        return this.pathNotFound(exact);
      }
      if (!queriesOf(variant).includes(variantParams)) return this.pathNotFound(exact);
    }
    const method = request.method.toUpperCase();
    const served = method === 'GET' || method === 'HEAD' ? lookup(assetId, variant) : undefined;
    if (!served) return this.pathNotFound(exact);

    const query = variantParams;
    let content: ContentKind;
    let requestHash: Uint8Array;
    let expression = CONTENT_EXPRESSION;
    let expressionHash = this.hashes.contentExpressionHash;
    const etag = etagOf(served.sha256);
    if (method === 'HEAD') {
      content = { kind: 'head' };
      requestHash = this.hashes.requestHash('HEAD', query, []);
    } else if (header(request, 'if-none-match') === etag) {
      content = { kind: 'not_modified' };
      requestHash = this.hashes.requestHash('GET', query, [['if-none-match', etag]]);
      expression = NOT_MODIFIED_EXPRESSION;
      expressionHash = this.hashes.notModifiedExpressionHash;
    } else {
      requestHash = this.hashes.requestHash('GET', query, []);
      if (served.chunkCount <= 1) content = { kind: 'whole' };
      else {
        const start = rangeStart(header(request, 'range'), served.size) ?? 0;
        content = { kind: 'piece', index: Math.floor(start / served.chunkSize) };
      }
    }
    const response = this.contentResponse(served, content, expression);
    const responseHash = this.hashes.responseHash(response.status, response.headers, response.bodyHash);
    const body =
      content.kind === 'whole' ? (served.chunkCount === 0 ? new Uint8Array(0) : served.readChunk(0))
      : content.kind === 'piece' ? served.readChunk(content.index)
      : new Uint8Array(0);
    return this.certified(response, body, exact, [expressionHash, requestHash, responseHash]);
  }

  // --- responses: one description serves both certifying and answering ---

  /**
   * Entry `index` below the asset's `<$>`: first the asset's own 404 (for a variant it lacks),
   * then per variant and per query its GET responses (the whole body, or one per 206 piece),
   * HEAD, and the 304 of its ETag. Computed alone, so a message stages any run of entries.
   */
  private entryAt(variants: readonly PublicVariant[], index: number): TreePath {
    const h = this.hashes;
    if (index === 0) return [h.notFoundExpressionHash, new Uint8Array(0), this.notFoundHash];
    let rest = index - 1;
    for (const v of variants) {
      const perQuery = entriesPerQuery(v);
      for (const query of queriesOf(v.variant)) {
        if (rest >= perQuery) {
          rest -= perQuery;
          continue;
        }
        const entry = (expressionHash: Uint8Array, requestHash: Uint8Array, kind: ContentKind, expression: string): TreePath => {
          const r = this.contentResponse(v, kind, expression);
          return [expressionHash, requestHash, h.responseHash(r.status, r.headers, r.bodyHash)];
        };
        const pieces = perQuery - 2;
        if (rest < pieces) {
          const kind: ContentKind = v.chunkCount <= 1 ? { kind: 'whole' } : { kind: 'piece', index: rest };
          return entry(h.contentExpressionHash, h.requestHash('GET', query, []), kind, CONTENT_EXPRESSION);
        }
        if (rest === pieces) return entry(h.contentExpressionHash, h.requestHash('HEAD', query, []), { kind: 'head' }, CONTENT_EXPRESSION);
        const conditional = h.requestHash('GET', query, [['if-none-match', etagOf(v.sha256)]]);
        return entry(h.notModifiedExpressionHash, conditional, { kind: 'not_modified' }, NOT_MODIFIED_EXPRESSION);
      }
    }
    throw new RangeError(`certification entry ${index} is past the asset's ${this.entryCount(variants)}`);
  }

  private contentResponse(v: PublicVariant, content: ContentKind, expression: string): Response {
    const etag = etagOf(v.sha256);
    const cacheControl = 'public, no-cache';
    if (content.kind === 'not_modified') {
      return {
        status: 304,
        headers: [['etag', etag], ['cache-control', cacheControl], [CERTIFICATE_EXPRESSION_HEADER, expression]],
        bodyHash: this.hashes.emptyBodyHash
      };
    }
    const contentType = safeHeaderValue(v.contentType, 'application/octet-stream');
    const headers: HeaderField[] = [['content-type', contentType]];
    let status = 200;
    let length = v.size;
    let bodyHash = content.kind === 'head' ? this.hashes.emptyBodyHash : v.sha256;
    if (content.kind === 'piece') {
      const start = content.index * v.chunkSize;
      const end = Math.min(v.size, start + v.chunkSize) - 1;
      status = 206;
      length = end - start + 1;
      bodyHash = v.chunkSha256(content.index);
      headers.push(['content-range', `bytes ${start}-${end}/${v.size}`]);
    }
    headers.push(
      ['content-length', String(length)],
      ['etag', etag],
      ['accept-ranges', 'bytes'],
      ['x-content-type-options', 'nosniff'],
      ['cache-control', cacheControl]
    );
    if (!v.ownedByController) {
      // An upload runs in an opaque origin: it cannot reach the app's storage or keys.
      headers.push(['content-security-policy', 'sandbox']);
      const base = contentType.split(';')[0].trim().toLowerCase();
      if (ACTIVE_CONTENT.test(base)) {
        headers.push(['content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(v.fileName || 'download')}`]);
      }
    }
    headers.push([CERTIFICATE_EXPRESSION_HEADER, expression]);
    return { status, headers, bodyHash };
  }

  private notFoundResponse(): Response {
    return {
      status: 404,
      headers: [
        ['content-type', 'text/plain; charset=utf-8'],
        ['content-length', String(NOT_FOUND_BODY.length)],
        ['x-content-type-options', 'nosniff'],
        ['cache-control', 'no-cache'],
        [CERTIFICATE_EXPRESSION_HEADER, NOT_FOUND_EXPRESSION]
      ],
      bodyHash: this.hashes.sha256(NOT_FOUND_BODY)
    };
  }

  private fallbackPath(): TreePath {
    return [...ROOT_WILDCARD_PATH.map(utf8), this.hashes.notFoundExpressionHash, new Uint8Array(0), this.notFoundHash];
  }

  /** 404 at a path the tree has (a private variant, an unknown variant, another method). */
  private pathNotFound(exact: string[]): HttpResponse {
    const tail = [this.hashes.notFoundExpressionHash, new Uint8Array(0), this.notFoundHash];
    return this.certified(this.notFoundResponse(), NOT_FOUND_BODY, exact, tail);
  }

  /** 404 through the root wildcard, proving the path and any more specific wildcard absent. */
  private notFound(requestSegments: string[]): HttpResponse {
    const response = this.notFoundResponse();
    const absent = [exactExpressionPath(requestSegments), ...moreSpecificWildcards(requestSegments)].map((p) => p.map(utf8));
    const witness = this.tree.witness([this.fallbackPath(), ...absent]);
    return this.withCertificate(response, NOT_FOUND_BODY, witness, ROOT_WILDCARD_PATH);
  }

  private certified(response: Response, body: Uint8Array, exprPath: string[], tail: Uint8Array[]): HttpResponse {
    const witness = this.tree.witness([[...exprPath.map(utf8), ...tail]]);
    return this.withCertificate(response, body, witness, exprPath);
  }

  private withCertificate(response: Response, body: Uint8Array, witness: HashTree, exprPath: readonly string[]): HttpResponse {
    const headers = [...response.headers];
    const certificate = this.platform.dataCertificate();
    // Without a certificate (an update call) the response goes out uncertified; a gateway rejects it.
    if (certificate) headers.push([CERTIFICATE_HEADER, certificateHeaderValue(certificate, witness, exprPath)]);
    return { status_code: response.status, headers, body, streaming_strategy: [], upgrade: [] };
  }
}

/**
 * Percent-decoding as the verifier does it (the `urlencoding` crate): valid `%XX` escapes are
 * decoded, anything else is kept as it is.
 */
function decodePath(raw: string): string {
  return raw.replace(/(%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

function splitUrl(url: string): [string, string | undefined] {
  const noFragment = url.split('#')[0];
  const q = noFragment.indexOf('?');
  return q < 0 ? [noFragment, undefined] : [noFragment.slice(0, q), noFragment.slice(q + 1)];
}

/** The query's `variant` parameters as the verifier filters them, or undefined for none. */
function certifiedQuery(query: string | undefined): string | undefined {
  if (query === undefined) return undefined;
  const kept = query.split('&').filter((fragment) => fragment.split('=')[0].toLowerCase() === 'variant');
  return kept.length === 0 ? undefined : kept.join('&');
}
