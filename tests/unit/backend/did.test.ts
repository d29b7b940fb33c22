// candid/ic_upload.did is the readable, checked-in interface; `npm test` builds first, and this
// fails when it, the interface the build generates (.azle/ic_upload.did) and the contract in
// candid/ic_upload.ts are not the same types (compared structurally: names, comments and layout
// are free).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { contractInterface, didInterface } from '../../support/candid_interface.js';

const generated = fileURLToPath(new URL('../../../.azle/ic_upload.did', import.meta.url));
const checkedIn = fileURLToPath(new URL('../../../candid/ic_upload.did', import.meta.url));

describe('candid/ic_upload.did', () => {
  it('is structurally the interface the build generates and the shared contract', async () => {
    expect(existsSync(generated), 'run `npm run build` first: .azle/ic_upload.did is missing').toBe(true);
    const readable = await didInterface(readFileSync(checkedIn, 'utf8'));
    expect(readable).toEqual(await didInterface(readFileSync(generated, 'utf8')));
    expect(readable).toEqual(contractInterface());
    expect(readable.methods.find((m) => m.startsWith('list_assets :'))).toMatch(/ query$/);
  });

  it('tells interfaces apart by a field type, a query annotation or a missing method', async () => {
    const did = readFileSync(checkedIn, 'utf8');
    const base = await didInterface(did);
    expect(await didInterface(did.replace(/chunk_size\s*:\s*nat32/, 'chunk_size : nat64'))).not.toEqual(base);
    expect(await didInterface(did.replace(/(list_assets\s*:[^\n]*\)) query;/, '$1;'))).not.toEqual(base);
    expect((await didInterface(did.replace(/\n\s*stats\s*:[^\n]*\n/, '\n'))).methods).toHaveLength(base.methods.length - 1);
  });
});
