// Response verification version 2, the canister's half (HTTP Gateway Protocol specification,
// "Response Verification"; the ic-http-certification crate, dfinity/response-verification):
// the CEL expressions, the representation-independent hash, request and response hashes, the
// tree paths they are certified under, and the `IC-Certificate` header.
import { base64, compareBytes, concat, encodeCbor, utf8, type HashTree, type Sha256 } from './hash_tree.js';

export const CERTIFICATE_HEADER = 'IC-Certificate';
export const CERTIFICATE_EXPRESSION_HEADER = 'IC-CertificateExpression';
export const PATH_PREFIX = 'http_expr';
export const EXACT_PATH_TERMINATOR = '<$>';
export const WILDCARD_PATH_TERMINATOR = '<*>';

/**
 * Content responses: the request's method and its `variant` query parameter are certified
 * (so `?variant=thumb` cannot be answered with the original), and every response header.
 */
export const CONTENT_EXPRESSION =
  'default_certification(ValidationArgs{certification:Certification{' +
  'request_certification:RequestCertification{certified_request_headers:[],certified_query_parameters:["variant"]},' +
  'response_certification:ResponseCertification{response_header_exclusions:ResponseHeaderList{headers:[]}}}})';

/**
 * 304 Not Modified: certified for the request's `If-None-Match` too, so it answers only the
 * request that named the current ETag.
 */
export const NOT_MODIFIED_EXPRESSION =
  'default_certification(ValidationArgs{certification:Certification{' +
  'request_certification:RequestCertification{certified_request_headers:["if-none-match"],certified_query_parameters:["variant"]},' +
  'response_certification:ResponseCertification{response_header_exclusions:ResponseHeaderList{headers:[]}}}})';

/** 404: certified whatever the request, as the fallback for every path the tree lacks. */
export const NOT_FOUND_EXPRESSION =
  'default_certification(ValidationArgs{certification:Certification{no_request_certification:Empty{},' +
  'response_certification:ResponseCertification{response_header_exclusions:ResponseHeaderList{headers:[]}}}})';

export type { HeaderField } from '../../../candid/ic_upload.js';
import type { HeaderField } from '../../../candid/ic_upload.js';

/** A value of the representation-independent hash: the protocol uses texts and numbers. */
type HashValue = string | number;

const TEXT_HASH_CACHE_SIZE = 256;

/** Unsigned LEB128, as the representation-independent hash encodes a number. */
function leb128(value: number): Uint8Array {
  const out: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Uint8Array.from(out);
}

export class CertificationHashes {
  readonly emptyBodyHash: Uint8Array;
  readonly contentExpressionHash: Uint8Array;
  readonly notModifiedExpressionHash: Uint8Array;
  readonly notFoundExpressionHash: Uint8Array;

  /**
   * Digests of header names and values already hashed. Certifying an asset hashes the same few
   * texts (names, the CEL expression, its ETag, content type) once per piece, and the canister's
   * SHA-256 is JavaScript: this keeps a many-piece asset's certification to the texts that differ.
   */
  private readonly textHashes = new Map<string, Uint8Array>();

  constructor(readonly sha256: Sha256) {
    this.emptyBodyHash = sha256(new Uint8Array(0));
    this.contentExpressionHash = sha256(utf8(CONTENT_EXPRESSION));
    this.notModifiedExpressionHash = sha256(utf8(NOT_MODIFIED_EXPRESSION));
    this.notFoundExpressionHash = sha256(utf8(NOT_FOUND_EXPRESSION));
  }

  /** The interface specification's representation-independent hash of a map (keys may repeat). */
  representationIndependentHash(entries: readonly [string, HashValue][]): Uint8Array {
    const pairs = entries.map(([key, value]) =>
      concat(this.textHash(key), typeof value === 'number' ? this.sha256(leb128(value)) : this.textHash(value))
    );
    pairs.sort(compareBytes);
    return this.sha256(concat(...pairs));
  }

  private textHash(text: string): Uint8Array {
    let digest = this.textHashes.get(text);
    if (digest === undefined) {
      digest = this.sha256(utf8(text));
      if (this.textHashes.size >= TEXT_HASH_CACHE_SIZE) this.textHashes.clear();
      this.textHashes.set(text, digest);
    }
    return digest;
  }

  /**
   * The request hash of a body-less request: its method, the certified query (`name=value`
   * pairs as they appear in the URL, joined by `&`) and the certified headers (names lowercased).
   */
  requestHash(method: string, query: string | undefined, headers: readonly HeaderField[]): Uint8Array {
    const entries: [string, HashValue][] = headers.map(([name, value]) => [name.toLowerCase(), value]);
    entries.push([':ic-cert-method', method]);
    if (query !== undefined) entries.push([':ic-cert-query', query]);
    return this.sha256(concat(this.representationIndependentHash(entries), this.emptyBodyHash));
  }

  /**
   * The response hash with every header certified (`response_header_exclusions: []`), the
   * status as the `:ic-cert-status` pseudo-header, and the body's SHA-256.
   */
  responseHash(status: number, headers: readonly HeaderField[], bodyHash: Uint8Array): Uint8Array {
    const entries: [string, HashValue][] = [];
    for (const [name, value] of headers) {
      if (name.toLowerCase() !== CERTIFICATE_HEADER.toLowerCase()) entries.push([name.toLowerCase(), value]);
    }
    entries.push([':ic-cert-status', status]);
    return this.sha256(concat(this.representationIndependentHash(entries), bodyHash));
  }
}

/**
 * A URL path's segments as the verifier splits it: the percent-decoded path on `/`, empty
 * segments dropped, and an empty last segment for a trailing slash.
 */
export function pathSegments(decodedPath: string): string[] {
  const segments = decodedPath.split('/').filter((s) => s.length > 0);
  if (decodedPath.endsWith('/')) segments.push('');
  return segments;
}

/** The expression path of an exact path: `http_expr`, its segments, `<$>`. */
export function exactExpressionPath(segments: readonly string[]): string[] {
  return [PATH_PREFIX, ...segments, EXACT_PATH_TERMINATOR];
}

/** The root wildcard's expression path, under which the canister-wide 404 is certified. */
export const ROOT_WILDCARD_PATH: readonly string[] = [PATH_PREFIX, WILDCARD_PATH_TERMINATOR];

/**
 * The wildcard paths more specific than the root one that a request path could match; a
 * wildcard answer must prove each absent (ic-http-certification `more_specific_wildcards_for`,
 * with the root wildcard as the responding one).
 */
export function moreSpecificWildcards(requestSegments: readonly string[]): string[][] {
  const out: string[][] = [];
  const potential = [...requestSegments];
  while (potential.length > 0) {
    out.push([PATH_PREFIX, ...potential, WILDCARD_PATH_TERMINATOR]);
    if (potential[potential.length - 1] === '') potential.pop();
    else {
      potential.pop();
      potential.push('');
    }
  }
  return out;
}

/** `IC-Certificate: certificate=:…:, tree=:…:, expr_path=:…:, version=2`. */
export function certificateHeaderValue(dataCertificate: Uint8Array, witness: HashTree, exprPath: readonly string[]): string {
  return (
    `certificate=:${base64(dataCertificate)}:, tree=:${base64(encodeCbor(witness))}:, ` +
    `expr_path=:${base64(encodeCbor(exprPath))}:, version=2`
  );
}
