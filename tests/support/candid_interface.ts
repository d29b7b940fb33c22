// Candid interfaces in a canonical text, so two of them compare structurally: a .did text is
// parsed by @icp-sdk/bindgen (DFINITY's Candid compiler, built to Wasm) into agent-js IDL types,
// and each method, init argument and type is printed by agent-js's `display()`, which inlines
// named types and orders record and variant fields by their Candid hash. Names, comments, layout
// and the order of declarations therefore do not matter; any difference in a type does.
import { IDL } from '@icp-sdk/core/candid';
import { generate } from '@icp-sdk/bindgen/core';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { idlFactory, init } from '../../candid/ic_upload.js';

export interface CanonicalInterface {
  /** `name : type` per method, sorted by name. */
  methods: string[];
  /** The service's init arguments. */
  init: string[];
}

function canonical(service: IDL.ServiceClass, args: IDL.Type[]): CanonicalInterface {
  return { methods: service._fields.map(([name, func]) => `${name} : ${func.display()}`).sort(), init: args.map((t) => t.display()) };
}

/** The contract as candid/ic_upload.ts builds it. */
export function contractInterface(): CanonicalInterface {
  return canonical(idlFactory({ IDL }) as IDL.ServiceClass, init({ IDL }));
}

/** A .did text as the Candid compiler reads it. */
export async function didInterface(did: string): Promise<CanonicalInterface> {
  // The generated module imports @icp-sdk/core, so it is written where Node resolves that package.
  const dir = join(process.cwd(), 'node_modules', '.cache', 'ic-upload-did', randomUUID());
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(join(dir, 'service.did'), did);
    await generate({ didFile: join(dir, 'service.did'), outDir: dir, output: { force: true, actor: { disabled: true }, declarations: { flat: true } } });
    const module = (await import(pathToFileURL(join(dir, 'service.did.js')).href)) as {
      idlFactory: IDL.InterfaceFactory;
      init?: (args: { IDL: typeof IDL }) => IDL.Type[];
    };
    return canonical(module.idlFactory({ IDL }) as IDL.ServiceClass, module.init?.({ IDL }) ?? []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
