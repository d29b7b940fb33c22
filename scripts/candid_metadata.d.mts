export function withCustomSection(wasm: Uint8Array, name: string, content: Uint8Array): Uint8Array;
export function embedCandidService(wasmPath: string, didPath: string): void;
