// candid/ic_upload.did is checked in; `npm test` builds first, and this fails when the interface
// the build generated (.azle/ic_upload.did) differs from it. To accept a change on purpose:
//   node scripts/build.mjs ic_upload && cp .azle/ic_upload.did candid/ic_upload.did
import { IDL } from '@icp-sdk/core/candid';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { idlFactory } from '../../../candid/ic_upload.js';

const generated = fileURLToPath(new URL('../../../.azle/ic_upload.did', import.meta.url));
const checkedIn = fileURLToPath(new URL('../../../candid/ic_upload.did', import.meta.url));

describe('candid/ic_upload.did', () => {
  it('equals the interface the build generates', () => {
    expect(existsSync(generated), 'run `npm run build` first: .azle/ic_upload.did is missing').toBe(true);
    expect(readFileSync(checkedIn, 'utf8')).toBe(readFileSync(generated, 'utf8'));
  });

  it('declares every method of the shared contract with its query annotation', () => {
    const did = readFileSync(checkedIn, 'utf8');
    const service = idlFactory({ IDL }) as IDL.ServiceClass;
    for (const [name, func] of service._fields) {
      const line = did.split('\n').find((l) => l.trimStart().startsWith(`${name}:`));
      expect(line, `method ${name}`).toBeDefined();
      expect(line!.trimEnd().endsWith(' query;'), `${name} query annotation`).toBe(func.annotations.includes('query'));
    }
    expect(did.startsWith('service: (opt record {')).toBe(true);
  });
});
