/** Where `npm start` keeps the compiled CLI. */
export const CLI_OUT: string;
/** Compiles the CLI unless CLI_OUT holds the output of its current sources; answers its entry (main.js). */
export function ensureCli(): Promise<string>;
/** esbuild's transform of each of the CLI's sources into `out` (emptied first); answers its entry. */
export function compileCli(out: string): Promise<string>;
