// The PocketIC REST API's wire types (snake_case, base64) and their conversion to and from the
// replica's domain types: the wire format lives here and nowhere else (as pic-js does it from
// the client side in pocket-ic-client-types.ts).
import type { CallResult, CanisterCall, PrincipalBytes } from '../types.js';

export type EncodedEffectivePrincipal = 'None' | { SubnetId: string } | { CanisterId: string };

export interface EncodedCanisterCall {
  sender: string;
  canister_id: string;
  method: string;
  payload: string;
  effective_principal?: EncodedEffectivePrincipal;
}

export interface EncodedRejectResponse {
  reject_code: number;
  reject_message: string;
  error_code: number;
  certified: boolean;
}

export type EncodedCanisterResult = { Ok: string } | { Err: EncodedRejectResponse };

export interface EncodedMessageId {
  effective_principal: EncodedEffectivePrincipal;
  message_id: string;
}

/** A request body that does not have the shape a route expects: answered with 400. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

export const b64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

export function fromB64(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string') throw new WireError(`field '${field}' must be a base64 string`);
  return new Uint8Array(Buffer.from(value, 'base64'));
}

export function field<T>(body: unknown, name: string, check: (v: unknown) => boolean, what: string): T {
  if (body === null || typeof body !== 'object' || !(name in body)) throw new WireError(`missing field '${name}'`);
  const value = (body as Record<string, unknown>)[name];
  if (!check(value)) throw new WireError(`field '${name}' must be ${what}`);
  return value as T;
}

export const isString = (v: unknown) => typeof v === 'string';
export const isBigIntLike = (v: unknown) => typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v) && v >= 0);

export function decodePrincipalField(body: unknown, name: string): PrincipalBytes {
  return fromB64(field<string>(body, name, isString, 'a base64 principal'), name);
}

export function decodeEffectivePrincipal(value: unknown): PrincipalBytes | undefined {
  if (value === undefined || value === 'None') return undefined;
  if (value && typeof value === 'object') {
    if ('CanisterId' in value) return fromB64((value as { CanisterId: unknown }).CanisterId, 'effective_principal.CanisterId');
    if ('SubnetId' in value) return undefined;
  }
  throw new WireError(`invalid effective_principal ${JSON.stringify(value)}`);
}

export function decodeCanisterCall(body: unknown): CanisterCall {
  return {
    sender: decodePrincipalField(body, 'sender'),
    canisterId: decodePrincipalField(body, 'canister_id'),
    method: field<string>(body, 'method', isString, 'a string'),
    payload: fromB64(field<string>(body, 'payload', isString, 'a base64 string'), 'payload'),
    effectiveCanisterId: decodeEffectivePrincipal((body as EncodedCanisterCall).effective_principal)
  };
}

export function encodeCallResult(result: CallResult, certified: boolean): EncodedCanisterResult {
  if (result.kind === 'reply') return { Ok: b64(result.bytes) };
  return {
    Err: { reject_code: result.rejectCode, reject_message: result.message, error_code: result.errorCode, certified }
  };
}

export function decodeMessageId(body: unknown): Uint8Array {
  return fromB64(field<string>(body, 'message_id', isString, 'a base64 string'), 'message_id');
}
