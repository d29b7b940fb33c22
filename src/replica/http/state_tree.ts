// The certified state tree (spec "The system state tree") as the HTTP interface reveals it, and
// the read_state path rules (spec "Request: Read state"; rs/http_endpoints/public/src/read_state).
// The tree is built per response from the replica's domain interface and holds just the parts a
// response may reveal; `witness` then prunes what was not asked for.
import { Principal } from '@icp-sdk/core/principal';
import type { CallResult, PrincipalBytes, ReplicaInstance } from '../types.js';
import type { Authenticated } from './auth.js';
import { encodeCbor } from './cbor.js';
import { ForbiddenPathError, MalformedRequestError, NotFoundError } from './errors.js';
import { type LabeledTree, leafNode, subtree } from './hash_tree.js';
import type { ReplicaKeys } from './keys.js';
import { compareBytes, uleb128 } from './request_id.js';

/** Custom sections, if the replica exposes them (`icp:public` / `icp:private <name>`). */
export interface CanisterMetadataSource {
  canisterMetadata(canisterId: PrincipalBytes, name: string): { content: Uint8Array; private: boolean } | undefined;
}

/** What the HTTP interface remembers of an ingress message it accepted. */
export interface IngressRecord {
  sender: Uint8Array;
  receiver: Uint8Array;
  ingressExpiry: bigint;
}

export type ReadStateScope = { kind: 'canister'; effectiveCanisterId: Uint8Array } | { kind: 'subnet'; subnetId: Uint8Array };

/** What a set of paths needs from the state, once they have been authorised. */
export interface StateSelection {
  requestIds: Uint8Array[];
  canisterIds: Uint8Array[];
  metadata: Array<{ canisterId: Uint8Array; name: string }>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const is = (label: Uint8Array | undefined, name: string): boolean =>
  label !== undefined && label.length === name.length && utf8.decode(label) === name;
const same = (a: Uint8Array, b: Uint8Array): boolean => compareBytes(a, b) === 0;
const text = (p: Uint8Array): string => Principal.fromUint8Array(p).toText();

function checkCanisterPath(canisterId: Uint8Array, scope: ReadStateScope): void {
  if (scope.kind !== 'canister') throw new NotFoundError('Invalid path requested.');
  if (!same(canisterId, scope.effectiveCanisterId)) {
    throw new ForbiddenPathError(
      `Effective principal id in URL ${text(scope.effectiveCanisterId)} does not match requested principal id: ${text(canisterId)}.`,
    );
  }
}

/**
 * Authorises read_state paths the way the IC's `verify_paths` does and returns what they need.
 * Throws NotFoundError (404) for paths the IC does not serve, ForbiddenPathError (403) for
 * request ids of another sender, MalformedRequestError (400) for bad request ids.
 */
export function selectPaths(
  paths: Uint8Array[][],
  who: Authenticated,
  scope: ReadStateScope,
  ingress: ReadonlyMap<string, IngressRecord>,
  metadata: CanisterMetadataSource | undefined,
  controllers: (canisterId: Uint8Array) => Uint8Array[],
): StateSelection {
  const selection: StateSelection = { requestIds: [], canisterIds: [], metadata: [] };
  for (const path of paths) {
    const [first, second, third, fourth] = path;
    const n = path.length;
    if (n === 1 && is(first, 'time')) continue;
    if (is(first, 'subnet') && (n === 1 || n === 2 || (n === 3 && ['public_key', 'type', 'node', 'canister_ranges'].some((x) => is(third, x))))) continue;
    if (is(first, 'subnet') && is(third, 'node') && (n === 4 || (n === 5 && is(path[4], 'public_key')))) continue;
    if (is(first, 'canister_ranges') && n <= 2 && scope.kind === 'subnet') continue;
    if (is(first, 'api_boundary_nodes') && n <= 3) continue;
    if (is(first, 'canister') && n === 3 && (is(third, 'module_hash') || is(third, 'controllers'))) {
      checkCanisterPath(second, scope);
      selection.canisterIds.push(second);
      continue;
    }
    if (is(first, 'canister') && n === 4 && is(third, 'metadata')) {
      checkCanisterPath(second, scope);
      let name: string;
      try {
        name = utf8.decode(fourth);
      } catch {
        throw new MalformedRequestError('Could not parse the custom section name: invalid utf-8.');
      }
      const section = metadata?.canisterMetadata(second, name);
      if (section?.private && !controllers(second).some((c) => same(c, who.sender))) {
        throw new ForbiddenPathError(`Custom section ${name.slice(0, 100)} can only be requested by the controllers of the canister.`);
      }
      selection.canisterIds.push(second);
      selection.metadata.push({ canisterId: second, name });
      continue;
    }
    if (is(first, 'request_status') && (n === 2 || (n === 3 && ['status', 'reply', 'reject_code', 'reject_message', 'error_code'].some((x) => is(third, x))))) {
      if (second.length !== 32) {
        throw new MalformedRequestError('Invalid request id in paths. Maybe the request ID is not of 32 bytes in length?!');
      }
      const previous = selection.requestIds[0];
      if (previous && !same(previous, second)) {
        throw new MalformedRequestError('More than one non-unique request ID exists in request_status paths.');
      }
      const record = ingress.get(Buffer.from(second).toString('hex'));
      if (record && !same(record.sender, who.sender)) {
        throw new ForbiddenPathError('The user tries to access Request ID not signed by the caller.');
      }
      if (record && who.targets !== 'all' && !who.targets.some((t) => same(t, record.receiver))) {
        throw new ForbiddenPathError('The user tries to access request IDs for canisters not belonging to sender delegation targets.');
      }
      if (!previous) selection.requestIds.push(second);
      continue;
    }
    throw new NotFoundError('Invalid path requested.');
  }
  return selection;
}

/** `IC0503` from 503: the textual error code of the spec's `error_code` fields. */
export function errorCodeText(errorCode: number): string {
  return `IC${String(errorCode).padStart(4, '0')}`;
}

function requestStatusTree(result: CallResult | undefined): LabeledTree {
  if (!result) return subtree([['status', leafNode('processing')]]);
  if (result.kind === 'reply') return subtree([['status', leafNode('replied')], ['reply', leafNode(result.bytes)]]);
  return subtree([
    ['status', leafNode('rejected')],
    ['reject_code', leafNode(uleb128(BigInt(result.rejectCode)))],
    ['reject_message', leafNode(result.message)],
    ['error_code', leafNode(errorCodeText(result.errorCode))],
  ]);
}

/**
 * The state tree for one response. The replica is its own root subnet, so the subnet is listed
 * under the id agent-js derives from the root key, with its canister ranges in both the flat
 * (`/subnet/<id>/canister_ranges`) and the sharded (`/canister_ranges/<id>/<start>`) form.
 */
export function buildStateTree(
  replica: ReplicaInstance,
  keys: ReplicaKeys,
  ingress: ReadonlyMap<string, IngressRecord>,
  selection: StateSelection,
  metadata: CanisterMetadataSource | undefined,
  now: bigint,
): LabeledTree {
  const { start, end } = replica.canisterRange();
  const ranges = encodeCbor([[start, end]]);
  const top: Array<[string, LabeledTree]> = [
    ['time', leafNode(uleb128(now))],
    ['canister_ranges', subtree([[keys.subnetId, subtree([[start, leafNode(ranges)]])]])],
    [
      'subnet',
      subtree([
        [
          keys.subnetId,
          subtree([
            ['public_key', leafNode(keys.rootKeyDer)],
            ['type', leafNode('application')],
            ['canister_ranges', leafNode(ranges)],
            ['node', subtree([[keys.nodeId, subtree([['public_key', leafNode(keys.nodePublicKeyDer)]])]])],
          ]),
        ],
      ]),
    ],
  ];

  const statuses: Array<[Uint8Array, LabeledTree]> = [];
  for (const id of uniqueBytes(selection.requestIds)) {
    if (!ingress.has(Buffer.from(id).toString('hex'))) continue; // unknown to us: absent
    const status = replica.ingressStatus(id);
    // Accepted by us but no longer known to the replica: its result was pruned (spec status `done`).
    statuses.push([id, status ? requestStatusTree(status.kind === 'done' ? status.result : undefined) : subtree([['status', leafNode('done')]])]);
  }
  if (statuses.length) top.push(['request_status', subtree(statuses)]);

  const canisters: Array<[Uint8Array, LabeledTree]> = [];
  for (const id of uniqueBytes(selection.canisterIds)) {
    if (!replica.canisterExists(id)) continue;
    const fields: Array<[string, LabeledTree]> = [
      ['certified_data', leafNode(replica.certifiedData(id))],
      ['controllers', leafNode(encodeCbor(replica.controllers(id)))],
    ];
    const moduleHash = replica.moduleHash(id);
    if (moduleHash) fields.push(['module_hash', leafNode(moduleHash)]);
    const sections: Array<[string, LabeledTree]> = [];
    for (const { canisterId, name } of selection.metadata) {
      const section = same(canisterId, id) ? metadata?.canisterMetadata(id, name) : undefined;
      if (section) sections.push([name, leafNode(section.content)]);
    }
    if (sections.length) fields.push(['metadata', subtree(sections)]);
    canisters.push([id, subtree(fields)]);
  }
  if (canisters.length) top.push(['canister', subtree(canisters)]);
  return subtree(top);
}

function uniqueBytes(list: Uint8Array[]): Uint8Array[] {
  return list.filter((x, i) => list.findIndex((y) => same(x, y)) === i);
}
