// The format version every persisted record starts with: a decoder refuses versions it does not
// know, and a later version adds fields at the end so an older value still decodes.
import { DecodeError, type Reader } from '../encoding.js';

export const V1 = 1;
/** Second versions add fields at the end; a V1 value decodes with their defaults. */
export const V2 = 2;

export function version(reader: Reader, what: string, newest = V1): number {
  const v = reader.u8();
  if (v < V1 || v > newest) throw new DecodeError(`${what} format version ${v} unknown`);
  return v;
}
