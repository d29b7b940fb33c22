// A session as the generic session layer keeps it: lifecycle, chunk bookkeeping and the hashing
// frontier, with what the session is about carried along unread in `meta`. How a record is
// persisted is the layer above's: it hands the SessionService a codec (model/ has the upload's).
import type { ChunkBitmap } from '../bitmap.js';

export type SessionState = { kind: 'open' } | { kind: 'finished'; blobId: bigint } | { kind: 'aborted' };

export interface Session<M> {
  uploadId: bigint;
  owner: Uint8Array;
  sessionKey: Uint8Array;
  size: bigint;
  chunkSize: number;
  chunkCount: number;
  received: ChunkBitmap;
  receivedCount: number;
  /** Frontier: chunks 0..hashed-1 are fully hashed, plus hashedOffset bytes of chunk `hashed`. */
  hashed: number;
  hashedOffset: number;
  createdAtNs: bigint;
  updatedAtNs: bigint;
  expiresAtNs: bigint;
  state: SessionState;
  meta: M;
}

/** The stored form of a session record, both ways. */
export interface SessionCodec<M> {
  encode(session: Session<M>): Uint8Array;
  decode(bytes: Uint8Array): Session<M>;
}
