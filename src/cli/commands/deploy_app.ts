// `ic-upload deploy-app`: uploads the browser app's files (built by scripts/build-app.mjs into
// dist/app) as public assets named by their file names. The canister serves asset `index.html`
// at `/`. Run it as a controller of the canister: a controller's assets are served as they are,
// anyone else's sandboxed (DESIGN.md, "User content cannot script the app").
import type { Command } from 'commander';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import { join, resolve } from 'node:path';
import type { BlobInfo, IcUploadService } from '../../../candid/ic_upload.js';
import { fileSource } from '../../client/node/file_source.js';
import { Uploader } from '../../client/uploader.js';
import { setPublicMethod } from '../../client/visibility.js';
import { contentTypeFor } from '../../client/bytes.js';
import { ServiceError } from '../../client/errors.js';
import { toHex } from '../../shared/bytes.js';
import type { GlobalOptions } from '../config.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_OK } from '../errors.js';
import { json } from '../output.js';
import { PACKAGE_ROOT } from '../package_root.js';

export const DEFAULT_APP_DIR = join(PACKAGE_ROOT, 'dist', 'app');

export interface DeployedFile {
  assetId: string;
  size: number;
  sha256: string;
  public: boolean | undefined;
}

/** Uploads every file of `dir` as an asset of the same name and makes it public where it can. */
export async function deployApp(actor: IcUploadService, dir: string): Promise<DeployedFile[]> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => statSync(join(dir, n)).isFile());
  } catch {
    names = [];
  }
  if (!names.includes('index.html')) {
    throw new CliError(`${dir} holds no built app (index.html): build it with \`node scripts/build-app.mjs\` (or pass --dir)`);
  }
  // Files the canister already holds with the same bytes, public, are left as they are, so a
  // deploy at every `npm start` costs a query per file once nothing has changed.
  const current = await Promise.all(names.map((n) => unchanged(actor, n, join(dir, n))));
  const out: DeployedFile[] = current.filter((f): f is DeployedFile => f !== undefined);
  names = names.filter((_, i) => current[i] === undefined);
  const uploader = new Uploader({ actor, derivatives: false });
  const sources = await Promise.all(names.map((n) => fileSource(join(dir, n))));
  const outcomes = await uploader.uploadAll(sources.map((source, i) => ({ source, assetId: names[i]!, contentType: contentTypeFor(names[i]!) })));
  for (const o of outcomes) if (o.status !== 'finished') throw o.error;
  const setPublic = setPublicMethod(actor);
  for (const outcome of outcomes) {
    const blob: BlobInfo = outcome.variants.original!;
    let visible: boolean | undefined;
    if (setPublic) {
      const answer = await setPublic(outcome.assetId, true);
      if ('Err' in answer) throw new ServiceError(answer.Err, outcome.assetId, 'set_public');
      visible = true;
    }
    out.push({ assetId: outcome.assetId, size: Number(blob.size), sha256: toHex(blob.sha256), public: visible });
  }
  return out;
}

/** The deployed file `assetId` if it already holds `path`'s bytes and is public. */
async function unchanged(actor: IcUploadService, assetId: string, path: string): Promise<DeployedFile | undefined> {
  const answer = await actor.get_asset(assetId);
  if (!('Ok' in answer) || answer.Ok.public !== true) return undefined;
  const original = answer.Ok.variants.find(([name]) => name === 'original')?.[1];
  const digest = toHex(sha256(readFileSync(path)));
  if (!original || toHex(original.sha256) !== digest) return undefined;
  return { assetId, size: Number(original.size), sha256: digest, public: true };
}

/** Where a browser opens the app of `canisterId` on a network at `url`: `/`, which serves `index.html`. */
export function appUrl(url: string, canisterId: string): string {
  const u = new URL(url);
  if (u.hostname === 'icp-api.io' || u.hostname === 'ic0.app' || u.hostname.endsWith('.icp0.io')) return `https://${canisterId}.icp0.io/`;
  return `${u.protocol}//${canisterId}.localhost:${u.port || (u.protocol === 'https:' ? 443 : 80)}/`;
}

type Run = (action: (cmd: Command) => Promise<number>) => (...args: unknown[]) => Promise<void>;

export function registerDeployApp(program: Command, ctx: CliContext, run: Run, globals: (cmd: Command) => GlobalOptions & Record<string, unknown>): void {
  program
    .command('deploy-app')
    .description('upload the browser app (dist/app) as public assets; the canister serves it at /')
    .option('--dir <dir>', 'folder of the built app', DEFAULT_APP_DIR)
    .action(
      run(async (cmd) => {
        const options = globals(cmd);
        const connection = await ctx.resolve(options);
        const { actor } = await ctx.connect(connection);
        const files = await deployApp(actor, resolve(ctx.cwd, options.dir as string));
        const url = appUrl(connection.url, connection.canisterId);
        if (options.json) ctx.stdout.write(json({ ok: true, url, files }));
        else {
          for (const f of files) ctx.stdout.write(`${f.assetId}  ${f.size} bytes  sha256 ${f.sha256}${f.public === undefined ? '' : f.public ? '  public' : ''}\n`);
          ctx.stdout.write(`app deployed: ${url}\n`);
        }
        return EXIT_OK;
      })
    );
}
