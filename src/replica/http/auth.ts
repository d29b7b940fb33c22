// Request authentication (spec "Authentication", "Signatures", "Special forms of Principals").
// Error texts follow the IC's `RequestValidationError` display (rs/validator) so that clients
// matching on them — agent-js looks for `Invalid request expiry: ` — behave as against the IC.
import { createPublicKey, verify as nativeVerify, type KeyObject } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha224 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { Principal } from '@icp-sdk/core/principal';
import { DerError, parseUserPublicKey } from './der.js';
import type { Envelope, SignedDelegation } from './envelope.js';
import { RequestValidationError } from './errors.js';
import { compareBytes, hashOfMap } from './request_id.js';

/** Domain separators (spec): the first byte is the length of the rest. */
export const IC_REQUEST_DOMAIN_SEPARATOR = utf8ToBytes('\x0Aic-request');
export const IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR = utf8ToBytes('\x1Aic-request-auth-delegation');

const NANOS_PER_SECOND = 1_000_000_000n;
/** MAX_INGRESS_TTL (rs/types/types/src/ingress.rs). */
export const MAX_INGRESS_TTL_NANOS = 5n * 60n * NANOS_PER_SECOND;
/** PERMITTED_DRIFT_AT_VALIDATOR: the IC accepts expiries this far past now + MAX_INGRESS_TTL. */
export const PERMITTED_DRIFT_NANOS = 30n * NANOS_PER_SECOND;
export const MAX_DELEGATIONS = 20;
export const MAX_DELEGATION_TARGETS = 1000;

const ANONYMOUS = Uint8Array.of(0x04);

/** Who sent the request and which canisters its delegations let it reach. */
export interface Authenticated {
  sender: Uint8Array;
  /** `all`, or the intersection of every delegation's targets. */
  targets: 'all' | Uint8Array[];
}

export function selfAuthenticatingPrincipal(publicKeyDer: Uint8Array): Uint8Array {
  return concatBytes(sha224(publicKeyDer), Uint8Array.of(0x02));
}

export function isAnonymous(principal: Uint8Array): boolean {
  return principal.length === 1 && principal[0] === 0x04;
}

const text = (p: Uint8Array): string => Principal.fromUint8Array(p).toText();

/** IC time display: RFC 3339 with nanoseconds, as `ic_types::Time` prints. */
export function formatTime(nanos: bigint): string {
  const ms = nanos / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString().slice(0, 19).replace('T', ' ');
  return `${iso}.${(nanos % NANOS_PER_SECOND).toString().padStart(9, '0')} UTC`;
}

export function validateIngressExpiry(expiry: bigint, now: bigint): void {
  const min = now;
  const max = now + MAX_INGRESS_TTL_NANOS + PERMITTED_DRIFT_NANOS;
  if (expiry < min || expiry > max) {
    throw new RequestValidationError(
      `Invalid request expiry: Specified ingress_expiry not within expected range: ` +
        `Minimum allowed expiry: ${formatTime(min)}, Maximum allowed expiry: ${formatTime(max)}, ` +
        `Provided expiry: ${formatTime(expiry)}, Local replica time: ${formatTime(now)}`,
    );
  }
}

/** Verifies a plain signature by a DER public key over `domain ‖ message`. */
export function verifyUserSignature(publicKeyDer: Uint8Array, signature: Uint8Array, payload: Uint8Array): void {
  let key;
  try {
    key = parseUserPublicKey(publicKeyDer);
  } catch (error) {
    throw new RequestValidationError(`Invalid public key: ${(error as DerError).message}`);
  }
  let valid: boolean;
  switch (key.scheme) {
    case 'ed25519':
      valid = signature.length === 64 && safely(() => nativeVerify(null, payload, ed25519Key(key.raw), signature));
      break;
    // ECDSA over SHA-256 of the payload, signature r ‖ s (64 bytes). WebCrypto (agent-js
    // ECDSAKeyIdentity) does not normalise s, so high-s P-256 signatures are valid.
    case 'ecdsa_p256':
      valid = signature.length === 64 && safely(() => p256.verify(signature, payload, key.raw, { lowS: false }));
      break;
    case 'ecdsa_secp256k1':
      valid = signature.length === 64 && safely(() => secp256k1.verify(signature, payload, key.raw, { lowS: false }));
      break;
    case 'webauthn':
    case 'canister_signature':
      throw new RequestValidationError(
        `Invalid signature: ${key.scheme === 'webauthn' ? 'WebAuthn' : 'canister'} signatures are not supported by the embedded replica`,
      );
  }
  if (!valid) {
    throw new RequestValidationError(
      `Invalid signature: Invalid basic signature: ${key.scheme} signature could not be verified: public key ${bytesToHex(publicKeyDer)}, signature ${bytesToHex(signature)}`,
    );
  }
}

/**
 * Ed25519 through node:crypto (OpenSSL, RFC 8032 verification as @noble/curves' `zip215: false`)
 * rather than @noble/curves: every signed request is verified, and in JavaScript that was ≈ 10 ms
 * of a small call's replica time on a loaded 2-core machine, natively a few hundredths of that.
 * A caller signs many requests with one key, so its parsed key is kept.
 */
function ed25519Key(raw: Uint8Array): KeyObject {
  const hex = bytesToHex(raw);
  let key = ed25519Keys.get(hex);
  if (!key) {
    if (raw.length !== 32) throw new RequestValidationError('Invalid public key: an Ed25519 key has 32 bytes');
    key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    if (ed25519Keys.size >= ED25519_KEYS_KEPT) ed25519Keys.delete(ed25519Keys.keys().next().value!);
    ed25519Keys.set(hex, key);
  }
  return key;
}
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const ED25519_KEYS_KEPT = 256;
const ed25519Keys = new Map<string, KeyObject>();

function safely(verify: () => boolean): boolean {
  try {
    return verify();
  } catch {
    return false; // malformed points or scalars are just invalid signatures
  }
}

function intersect(a: 'all' | Uint8Array[], b: 'all' | Uint8Array[]): 'all' | Uint8Array[] {
  if (a === 'all') return b;
  if (b === 'all') return a;
  return a.filter((x) => b.some((y) => compareBytes(x, y) === 0));
}

function validateDelegations(chain: SignedDelegation[], senderPubkey: Uint8Array, now: bigint) {
  if (chain.length > MAX_DELEGATIONS) {
    throw new RequestValidationError(
      `Invalid delegation: Chain of delegations is too long: got ${chain.length} delegations, but at most ${MAX_DELEGATIONS} are allowed`,
    );
  }
  let key = senderPubkey;
  let targets: 'all' | Uint8Array[] = 'all';
  const seen = [bytesToHex(senderPubkey)];
  for (const { delegation, signature } of chain) {
    if (delegation.expiration < now) {
      throw new RequestValidationError(
        `Specified sender delegation has expired: Provided expiry: ${formatTime(delegation.expiration)}, Local replica time: ${formatTime(now)}`,
      );
    }
    if (delegation.targets && delegation.targets.length > MAX_DELEGATION_TARGETS) {
      throw new RequestValidationError(
        `Invalid delegation: expected at most ${MAX_DELEGATION_TARGETS} targets, got ${delegation.targets.length}`,
      );
    }
    const payload = concatBytes(IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR, hashOfMap(delegation.wire));
    try {
      verifyUserSignature(key, signature, payload);
    } catch (error) {
      throw new RequestValidationError(`Invalid delegation: ${(error as Error).message}`);
    }
    const next = bytesToHex(delegation.pubkey);
    if (seen.includes(next)) {
      throw new RequestValidationError(
        `Invalid delegation: the delegation chain contains a cycle: public key ${next} appears twice`,
      );
    }
    seen.push(next);
    key = delegation.pubkey;
    targets = intersect(targets, delegation.targets ?? 'all');
  }
  return { signingKey: key, targets };
}

/**
 * Authenticates an envelope at replica time `now`: expiry (skipped for anonymous queries and
 * read_state, as the spec allows and agent-js's anonymous time sync needs), sender, delegations
 * and the signature over the request id. For calls and queries, also checks the delegation
 * targets include the addressed canister.
 */
export function authenticate(envelope: Envelope, now: bigint): Authenticated {
  const { content } = envelope;
  const anonymous = isAnonymous(content.sender);
  if (!(anonymous && content.requestType !== 'call')) validateIngressExpiry(content.ingressExpiry, now);

  if (content.requestType !== 'read_state' && content.senderInfo !== undefined) {
    throw new RequestValidationError('Invalid signature: `sender_info` requires a canister signature, which the embedded replica does not support');
  }
  const { senderPubkey, senderSig, senderDelegation } = envelope;
  if (anonymous) {
    if (senderPubkey || senderSig || senderDelegation) {
      throw new RequestValidationError('Signature is not allowed for the anonymous user');
    }
    return { sender: ANONYMOUS, targets: 'all' };
  }
  if (!senderPubkey || !senderSig) throw new RequestValidationError(`Missing signature from user: ${text(content.sender)}`);
  if (compareBytes(selfAuthenticatingPrincipal(senderPubkey), content.sender) !== 0) {
    throw new RequestValidationError(
      `The user id ${text(content.sender)} does not match the public key ${bytesToHex(senderPubkey)}`,
    );
  }
  const { signingKey, targets } = validateDelegations(senderDelegation ?? [], senderPubkey, now);
  verifyUserSignature(signingKey, senderSig, concatBytes(IC_REQUEST_DOMAIN_SEPARATOR, envelope.requestId));

  if (content.requestType !== 'read_state' && targets !== 'all' && !targets.some((t) => compareBytes(t, content.canisterId) === 0)) {
    throw new RequestValidationError(`Canister ${text(content.canisterId)} is not one of the delegation targets`);
  }
  return { sender: content.sender, targets };
}
