// DER SubjectPublicKeyInfo as the IC uses it for user keys (spec "Signatures") and for its own
// BLS and node keys (agent-js `der.ts`, `certificate.ts` DER_PREFIX).
import { hexToBytes } from '@noble/hashes/utils.js';
import { concatBytes } from '@noble/hashes/utils.js';

/** Object identifiers, as their DER content bytes (hex). */
const OID = {
  ed25519: '2b6570', // 1.3.101.112 (RFC 8410)
  ecPublicKey: '2a8648ce3d0201', // 1.2.840.10045.2.1 (RFC 5480)
  secp256k1: '2b8104000a', // 1.3.132.0.10
  p256: '2a8648ce3d030107', // 1.2.840.10045.3.1.7
  coseWrapped: '2b0601040183b8430101', // 1.3.6.1.4.1.56387.1.1 (WebAuthn)
  canisterSignature: '2b0601040183b8430102', // 1.3.6.1.4.1.56387.1.2
} as const;

export type UserPublicKey =
  | { scheme: 'ed25519'; raw: Uint8Array }
  | { scheme: 'ecdsa_secp256k1'; raw: Uint8Array }
  | { scheme: 'ecdsa_p256'; raw: Uint8Array }
  | { scheme: 'webauthn'; raw: Uint8Array }
  | { scheme: 'canister_signature'; raw: Uint8Array };

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

interface Tlv {
  tag: number;
  content: Uint8Array;
  end: number;
}

function readTlv(buf: Uint8Array, offset: number): Tlv {
  if (offset + 2 > buf.length) throw new DerError('truncated DER');
  const tag = buf[offset];
  let len = buf[offset + 1];
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3) throw new DerError('unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | buf[pos + i];
    pos += n;
  }
  if (pos + len > buf.length) throw new DerError('DER length exceeds input');
  return { tag, content: buf.subarray(pos, pos + len), end: pos + len };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Parses a user public key, telling the signature scheme by its algorithm identifier. */
export function parseUserPublicKey(der: Uint8Array): UserPublicKey {
  const spki = readTlv(der, 0);
  if (spki.tag !== 0x30 || spki.end !== der.length) throw new DerError('not a DER SubjectPublicKeyInfo');
  const algorithm = readTlv(spki.content, 0);
  const bitString = readTlv(spki.content, algorithm.end);
  if (algorithm.tag !== 0x30 || bitString.tag !== 0x03 || bitString.end !== spki.content.length) {
    throw new DerError('malformed SubjectPublicKeyInfo');
  }
  if (bitString.content[0] !== 0) throw new DerError('public key BIT STRING has unused bits');
  const key = bitString.content.subarray(1);
  const algOid = readTlv(algorithm.content, 0);
  if (algOid.tag !== 0x06) throw new DerError('missing algorithm OID');
  const params = algOid.end < algorithm.content.length ? readTlv(algorithm.content, algOid.end) : undefined;
  switch (hex(algOid.content)) {
    case OID.ed25519:
      if (params !== undefined || key.length !== 32) throw new DerError('malformed Ed25519 public key');
      return { scheme: 'ed25519', raw: key };
    case OID.ecPublicKey: {
      if (params?.tag !== 0x06) throw new DerError('ECDSA key without a named curve');
      if (key.length !== 65 || key[0] !== 0x04) throw new DerError('ECDSA point must be uncompressed');
      const curve = hex(params.content);
      if (curve === OID.secp256k1) return { scheme: 'ecdsa_secp256k1', raw: key };
      if (curve === OID.p256) return { scheme: 'ecdsa_p256', raw: key };
      throw new DerError(`unsupported ECDSA curve OID ${curve}`);
    }
    case OID.coseWrapped:
      return { scheme: 'webauthn', raw: key };
    case OID.canisterSignature:
      return { scheme: 'canister_signature', raw: key };
    default:
      throw new DerError(`unsupported public key algorithm OID ${hex(algOid.content)}`);
  }
}

const ED25519_DER_PREFIX = hexToBytes('302a300506032b6570032100');
/** The BLS12-381 G2 key prefix agent-js expects for root keys (its `extractDER`). */
export const BLS_DER_PREFIX = hexToBytes(
  '308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100',
);

export function ed25519PublicKeyToDer(raw: Uint8Array): Uint8Array {
  if (raw.length !== 32) throw new DerError('Ed25519 public key must be 32 bytes');
  return concatBytes(ED25519_DER_PREFIX, raw);
}

/** PKCS#8 of an Ed25519 secret key (its 32-byte seed, RFC 8410), the form node:crypto imports. */
export function ed25519SecretKeyToPkcs8(seed: Uint8Array): Uint8Array {
  if (seed.length !== 32) throw new DerError('Ed25519 secret key must be 32 bytes');
  return concatBytes(hexToBytes('302e020100300506032b657004220420'), seed);
}

export function blsPublicKeyToDer(raw: Uint8Array): Uint8Array {
  if (raw.length !== 96) throw new DerError('BLS12-381 G2 public key must be 96 bytes');
  return concatBytes(BLS_DER_PREFIX, raw);
}
