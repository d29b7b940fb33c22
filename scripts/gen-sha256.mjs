#!/usr/bin/env node
// Generates src/backend/hash/sha256_compress.ts: the SHA-256 compression function, fully
// unrolled for QuickJS (no JIT), where every bytecode op costs ≈ 50–60 Wasm instructions and a
// function call ≈ 600 (measured with the replica's metering). The output is committed; rerun
// with `node scripts/gen-sha256.mjs` after changing this file.
//
// Shape of the generated code, and why:
// - 64 rounds unrolled with the working variables renamed from round to round instead of
//   shifted (a..h never move; each round writes only two of them), so no copies.
// - The 16-word message schedule lives in local `var`s (w0..w15, reused in place), never in a
//   typed array (a typed-array write costs ≈ 880 instructions).
// - No helper calls: rotations, Ch, Maj, Σ and σ are written out inline.
// - Round constants are int32 literals (a literal above 2^31-1 would be a float in QuickJS);
//   negative ones are subtracted rather than added so no negation op is emitted.
// - `var`, not `let`: QuickJS checks the temporal dead zone on every `let` access.
// - Input words are read with DataView.getInt32 (big-endian), one native call per word.
// - `|0` after every addition in T1 and in the schedule: an int32 addition that overflows falls
//   to QuickJS's slow float path, and every later `+` in the same chain would too.
// - Maj(a,b,c) = b ^ ((a ^ b) & (b ^ c)), reusing the previous round's a ^ b.
//
// Variants measured with tests/canisters/hash_bench/qjs_bench.mjs (COUNT=1: QuickJS from
// quickjs-emscripten metered IC-style, 256 KiB; @noble/hashes 20,329 instr/byte there, which
// scales to ≈ 26,000 in Azle): sum-`|0`-once 6,670; `|0` after each add 6,535; the same with
// 4 Uint8Array reads 6,712, aligned Int32Array + byte swap 6,580; + Maj reuse + inline reads
// 6,520; this default (no per-add `|0` in T2) 6,515 instr/byte. For scale, wrong-on-purpose:
// no input reads 6,267; every `+` replaced by `^` (no overflow at all) 5,225.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { K } from '../src/backend/native/sha256_constants.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');


/** `+ k` or `- (-k)` for an int32 constant, so the literal is always a non-negative int. */
function addConst(k) {
  const v = k | 0;
  return v < 0 ? `- ${-v}` : `+ ${v}`;
}

/**
 * Options, for variants compared by tests/canisters/hash_bench/qjs_bench.mjs:
 * - read: 'dataview' (getInt32 per word), 'bytes' (4 typed-array reads and shifts), 'int32'
 *   (aligned Int32Array + byte swap; bench only), 'none' (wrong hash, measures reads)
 * - orT1 / orSched / orT2 (orEach sets the default of all three): `|0` after every addition in
 *   T1, in the message schedule, in T1 + T2, instead of once per sum
 * - majCache: Maj from the previous round's a ^ b; wInline: read words inside the T1 sum
 * - xorFloor: every `+` as `^` (wrong hash, measures the cost of int32 overflow)
 */
export function generate({
  read = 'dataview',
  orEach = false,
  orT1 = true,
  orSched = true,
  orT2 = orEach,
  majCache = true,
  wInline = true,
  xorFloor = false
} = {}) {
  const V = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const sum = (terms, each) => {
    // terms: array of strings; constants already formatted as "+ n" / "- n" when prefixed with op
    if (!each) return terms.join(' ') + ' | 0';
    let s = terms[0];
    for (let i = 1; i < terms.length; i++) s = `(${s} ${terms[i]} | 0)`;
    return s.slice(1, -1);
  };
  const rotr = (x, n) => `(${x} >>> ${n} | ${x} << ${32 - n})`;
  const lines = [];
  if (majCache) lines.push('    x1 = b ^ c;');
  const out = (s) => lines.push(s);

  for (let t = 0; t < 64; t++) {
    const [A, B, C, D, E, F, G, H] = V.map((_, i) => V[(i - t + 64) & 7]);
    const w = `w${t & 15}`;
    let wTerm = w;
    if (t < 16) {
      let rd;
      if (read === 'dataview') {
        rd = `v.getInt32(o${t ? ` + ${4 * t}` : ''})`;
      } else if (read === 'int32') {
        // Aligned little-endian words, byte-swapped (bench only: assumes 4-byte alignment).
        rd = `(${w} = q[i${t ? ` + ${t}` : ''}]) << 24 | (${w} & 65280) << 8 | ${w} >>> 8 & 65280 | ${w} >>> 24`;
      } else if (read === 'none') {
        rd = `o`; // wrong hash: measures the cost of reading the input
      } else {
        const at = (j) => `m[o${4 * t + j ? ` + ${4 * t + j}` : ''}]`;
        rd = `${at(0)} << 24 | ${at(1)} << 16 | ${at(2)} << 8 | ${at(3)}`;
      }
      wTerm = wInline ? `(${w} = ${rd})` : w;
      if (!wInline) out(`    ${w} = ${rd};`);
    } else {
      const x15 = `w${(t - 15) & 15}`;
      const x2 = `w${(t - 2) & 15}`;
      const s0 = `(${rotr(x15, 7)} ^ ${rotr(x15, 18)} ^ ${x15} >>> 3)`;
      const s1 = `(${rotr(x2, 17)} ^ ${rotr(x2, 19)} ^ ${x2} >>> 10)`;
      out(`    ${w} = ${sum([w, `+ ${s0}`, `+ w${(t - 7) & 15}`, `+ ${s1}`], orSched)};`);
    }
    const S1 = `(${rotr(E, 6)} ^ ${rotr(E, 11)} ^ ${rotr(E, 25)})`;
    const ch = `(${G} ^ ${E} & (${F} ^ ${G}))`;
    const S0 = `(${rotr(A, 2)} ^ ${rotr(A, 13)} ^ ${rotr(A, 22)})`;
    // With majCache, Maj(A,B,C) = B ^ ((A ^ B) & (B ^ C)), where B ^ C is the previous round's A ^ B.
    const maj = majCache
      ? `(${B} ^ (x${t & 1} = ${A} ^ ${B}) & x${(t + 1) & 1})`
      : `(${A} & ${B} | ${C} & (${A} | ${B}))`;
    // H becomes T1, then D becomes d + T1 (the next e), then H becomes T1 + T2 (the next a).
    out(`    ${H} = ${sum([H, `+ ${S1}`, `+ ${ch}`, addConst(K[t]), `+ ${wTerm}`], orT1)};`);
    out(`    ${D} = ${sum([D, `+ ${H}`], false)};`);
    out(`    ${H} = ${sum([H, `+ ${S0}`, `+ ${maj}`], orT2)};`);
  }

  const decls = V.map((n, i) => `s${i} = s.h${i}`).join(', ') + ', ' + V.map((n, i) => `${n} = s${i}`).join(', ');
  const wDecls = Array.from({ length: 16 }, (_, i) => `w${i} = 0`).join(', ');
  const readDecl =
    read === 'dataview'
      ? 'var v = new DataView(m.buffer, m.byteOffset, m.byteLength);\n  '
      : read === 'int32'
        ? 'var q = new Int32Array(m.buffer, m.byteOffset + off, (end - off) >> 2), i = 0;\n  '
        : '';
  let body = lines.join('\n');
  if (xorFloor) body = body.replace(/ \+ /g, ' ^ ').replace(/ - (\d)/g, ' ^ $1');
  return `// GENERATED by scripts/gen-sha256.mjs (options: ${JSON.stringify({ read, orT1, orSched, orT2, majCache, wInline, xorFloor })}). Do not edit.

/** The eight chaining words of a SHA-256 state, each kept as an int32. */
export interface Sha256Words {
  h0: number; h1: number; h2: number; h3: number; h4: number; h5: number; h6: number; h7: number;
}

/**
 * Runs the SHA-256 compression function over the whole 64-byte blocks m[off .. end)
 * (end - off must be a multiple of 64), updating the chaining words in s.
 */
export function compressBlocks(s: Sha256Words, m: Uint8Array, off: number, end: number): void {
  ${readDecl}var ${decls};
  var ${wDecls};
  var o = off${majCache ? ', x0 = 0, x1 = 0' : ''};
  while (o < end) {
${body}
${V.map((n, i) => `    ${n} = s${i} = s${i} + ${n} | 0;`).join('\n')}
    o += 64;${read === 'int32' ? ' i += 16;' : ''}
  }
${V.map((n, i) => `  s.h${i} = s${i};`).join('\n')}
}
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = join(root, 'src/backend/hash/sha256_compress.ts');
  writeFileSync(file, generate());
  console.log(`wrote ${file}`);
}
