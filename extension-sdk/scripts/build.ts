import { execFile } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';

/**
 * `npm run build -w extension-sdk`: the published ESM build in dist/, one file per entry with the
 * shared scrubber and fingerprint code bundled in (`@homeostat/shared` is not published), and
 * declarations from tsc (tsconfig.build.json).
 */
export const SDK_ROOT = path.resolve(import.meta.dirname, '..');

export const ENTRIES = {
  index: path.join(SDK_ROOT, 'src/index.ts'),
  relay: path.join(SDK_ROOT, 'src/relay-entry.ts'),
  breadcrumbs: path.join(SDK_ROOT, 'src/breadcrumbs-entry.ts'),
};

/**
 * `@homeostat/shared` re-exports its Worker-side modules (zod schemas, Hono helpers) from one
 * index. Its modules have no import-time effects the SDK relies on, so marking them free of side
 * effects lets esbuild drop every module the SDK does not use instead of bundling zod.
 */
export const sharedWithoutSideEffects: esbuild.Plugin = {
  name: 'shared-side-effect-free',
  setup(build) {
    build.onResolve({ filter: /^@homeostat\/shared$/ }, () => ({
      path: path.resolve(SDK_ROOT, '../packages/shared/src/index.ts'),
      sideEffects: false,
    }));
    build.onResolve({ filter: /^\.\.?\// }, (args) =>
      args.importer.includes(`${path.sep}packages${path.sep}shared${path.sep}`)
        ? { path: path.resolve(args.resolveDir, args.path), sideEffects: false }
        : undefined,
    );
  },
};

/** Leaves `@homeostat/shared` out, for the size bench to tell the SDK's own code apart. */
const sharedExternal: esbuild.Plugin = {
  name: 'shared-external',
  setup(build) {
    build.onResolve({ filter: /^@homeostat\/shared$/ }, (args) => ({
      path: args.path,
      external: true,
    }));
  },
};

/** Options shared by the published build and the size bench. */
export function buildOptions(
  entryPoints: Record<string, string>,
  minify: boolean,
  bundleShared = true,
): esbuild.BuildOptions {
  return {
    entryPoints,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // Chrome 116 is the first with every MV3 API the SDK uses in promise form.
    target: 'chrome116',
    minify,
    legalComments: 'none',
    plugins: [bundleShared ? sharedWithoutSideEffects : sharedExternal],
    logLevel: 'warning',
  };
}

async function main(): Promise<void> {
  const dist = path.join(SDK_ROOT, 'dist');
  await rm(dist, { recursive: true, force: true });
  await esbuild.build({ ...buildOptions(ENTRIES, false), outdir: dist, sourcemap: true });
  await promisify(execFile)(process.execPath, [
    path.join(SDK_ROOT, '../node_modules/typescript/bin/tsc'),
    '-p',
    path.join(SDK_ROOT, 'tsconfig.build.json'),
  ]);
  // tsc keeps the `.ts` specifiers the sources use; consumers resolve `./x.js` to `./x.d.ts`
  // whatever their settings.
  const types = path.join(dist, 'types');
  for (const file of await readdir(types, { recursive: true })) {
    if (!file.endsWith('.d.ts')) continue;
    const full = path.join(types, file);
    const text = await readFile(full, 'utf8');
    await writeFile(full, text.replace(/(from '\.{1,2}\/[^']*?)(?:\.d)?\.ts'/g, "$1.js'"));
  }
  console.log(
    `built ${Object.keys(ENTRIES).join(', ')} into ${path.relative(process.cwd(), dist)}`,
  );
}

if (import.meta.main) await main();
