// The certificate a query reads with `ic0.data_certificate_copy` (interface specification,
// "Certified data"): the state tree's `/canister/<id>/certified_data` and `/time`, signed by the
// replica's root key, with everything else pruned.
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { certify } from '../http/certificate.js';
import { leafNode, subtree, witness } from '../http/hash_tree.js';
import { uleb128 } from '../http/request_id.js';
import type { PrincipalBytes } from '../types.js';

export function dataCertificate(rootSecretKey: Uint8Array, canisterId: PrincipalBytes, certifiedData: Uint8Array, time: bigint): Uint8Array {
  const tree = subtree([
    ['canister', subtree([[canisterId, subtree([['certified_data', leafNode(certifiedData)]])]])],
    ['time', leafNode(uleb128(time))]
  ]);
  const paths = [[utf8ToBytes('canister'), canisterId, utf8ToBytes('certified_data')], [utf8ToBytes('time')]];
  return certify(witness(tree, paths), rootSecretKey);
}

/**
 * A certifier for StateMachine.dataCertifier that signs once per canister, certified data and
 * time: every query asks for the certificate, and a BLS signature costs milliseconds, while the
 * answer only changes when the certified data or the time does.
 */
export function cachingDataCertifier(rootSecretKey: Uint8Array) {
  const last = new Map<string, { data: string; time: bigint; certificate: Uint8Array }>();
  const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
  return (canisterId: PrincipalBytes, certifiedData: Uint8Array, time: bigint): Uint8Array => {
    const id = hexOf(canisterId);
    const data = hexOf(certifiedData);
    const cached = last.get(id);
    if (cached && cached.data === data && cached.time === time) return cached.certificate;
    const certificate = dataCertificate(rootSecretKey, canisterId, certifiedData, time);
    last.set(id, { data, time, certificate });
    return certificate;
  };
}
