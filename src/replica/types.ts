// Domain types of the embedded replica, shared by its front ends (the PocketIC REST server and
// the IC HTTP interface). Principals are raw bytes here; wire encodings live with each front end.

/** Raw principal bytes (canister ids are 10 bytes, self-authenticating principals 29). */
export type PrincipalBytes = Uint8Array;

/** A call as the replica receives it from outside (ingress or query). */
export interface CanisterCall {
  sender: PrincipalBytes;
  /** Empty for the management canister `aaaaa-aa`. */
  canisterId: PrincipalBytes;
  method: string;
  payload: Uint8Array;
  /** For management calls routed by a canister id (`effective_canister_id`). */
  effectiveCanisterId?: PrincipalBytes;
}

/** A reject as the IC reports it: reject code 1..6 and the numeric error code (e.g. 503 for IC0503). */
export interface Reject {
  rejectCode: number;
  errorCode: number;
  message: string;
}

export type CallResult = { kind: 'reply'; bytes: Uint8Array } | ({ kind: 'reject' } & Reject);

/** Where an ingress message is: the IC's request status (received/processing are one here). */
export type IngressStatus =
  | { kind: 'processing' }
  | { kind: 'done'; result: CallResult; /** replica time when it completed */ time: bigint };

/**
 * One replica instance (one application subnet), as both front ends drive it. Execution is
 * synchronous and serialized: a method returns once the work it asked for is done.
 */
export interface ReplicaInstance {
  /** Current replica time in ns since the epoch. */
  time(): bigint;
  /** Sets the time; a time before the current one throws SettingTimeIntoPast. */
  setTime(nanos: bigint): void;
  /**
   * Queues an ingress update. Returns the message id (the request id if given, else a fresh one).
   * Throws IngressRejectedError for rejects at submission (no canister, inspect_message refused,
   * not a controller, too large) and BadIngressError for malformed messages.
   */
  submitIngress(call: CanisterCall, messageId?: Uint8Array): Uint8Array;
  /** Runs rounds until the message completes (at most 100), then returns its result. */
  awaitIngress(messageId: Uint8Array): CallResult;
  /** The message's status without running anything; undefined if never submitted. */
  ingressStatus(messageId: Uint8Array): IngressStatus | undefined;
  /** Executes a non-replicated query against the latest committed state. */
  query(call: CanisterCall): CallResult;
  /** Executes one round: queued messages, inter-canister traffic and due timers. */
  tick(): void;
  canisterExists(canisterId: PrincipalBytes): boolean;
  controllers(canisterId: PrincipalBytes): PrincipalBytes[];
  /** The module hash (sha256 of the installed Wasm) or undefined for an empty canister. */
  moduleHash(canisterId: PrincipalBytes): Uint8Array | undefined;
  /** The canister's certified data (≤ 32 bytes, empty if never set). */
  certifiedData(canisterId: PrincipalBytes): Uint8Array;
  cycles(canisterId: PrincipalBytes): bigint;
  addCycles(canisterId: PrincipalBytes, amount: bigint): bigint;
  stableMemory(canisterId: PrincipalBytes): Uint8Array;
  setStableMemory(canisterId: PrincipalBytes, bytes: Uint8Array): void;
  subnetId(): PrincipalBytes;
  /** Inclusive canister id range of the application subnet. */
  canisterRange(): { start: PrincipalBytes; end: PrincipalBytes };
}
