// A module's canister metadata: the custom sections named `icp:public <name>` or
// `icp:private <name>` (interface spec, "Canister module format"), which the IC serves through
// read_state at /canister/<id>/metadata/<name>, the private ones to controllers only.
import { readSections, SectionId, sectionReader } from './binary.js';

export interface CanisterMetadataSection {
  content: Uint8Array;
  private: boolean;
}

/** The metadata sections of a Wasm module, by name (without the visibility prefix). */
export function canisterMetadata(wasm: Uint8Array): Map<string, CanisterMetadataSection> {
  const found = new Map<string, CanisterMetadataSection>();
  for (const section of readSections(wasm)) {
    if (section.id !== SectionId.custom) continue;
    const reader = sectionReader(wasm, section);
    const full = reader.name();
    const visibility = /^icp:(public|private) (.+)$/s.exec(full);
    if (!visibility) continue;
    found.set(visibility[2]!, { content: wasm.slice(reader.pos, section.end), private: visibility[1] === 'private' });
  }
  return found;
}
