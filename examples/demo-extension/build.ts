import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { sharedWithoutSideEffects } from '../../extension-sdk/scripts/build.ts';

const DEMO_ROOT = import.meta.dirname;
const SDK_SRC = path.resolve(DEMO_ROOT, '../../extension-sdk/src');
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8787';

/**
 * Builds the demo into a loadable unpacked extension: one classic script per context (content
 * scripts cannot be modules), the SDK taken from source, the ingest URL baked in and granted as
 * a host permission (the only permission an SDK's requests need).
 */
export async function buildDemo(
  options: {
    endpoint?: string;
    outDir?: string;
    /** The demo's sources to build (default: this folder), e.g. a copy served as a repository. */
    root?: string;
    /** Writes `.map` files beside the bundles, as a release that uploads its source maps does. */
    sourcemap?: boolean;
  } = {},
) {
  const root = options.root ?? DEMO_ROOT;
  const endpoint = new URL(options.endpoint ?? DEFAULT_ENDPOINT);
  const outDir = options.outDir ?? path.join(root, 'dist');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: ['background', 'popup', 'content'].map((n) => path.join(root, 'src', `${n}.ts`)),
    outdir: outDir,
    bundle: true,
    format: 'iife',
    target: 'chrome116',
    define: { __HOMEOSTAT_ENDPOINT__: JSON.stringify(endpoint.origin) },
    alias: {
      '@homeostat/extension-sdk/relay': path.join(SDK_SRC, 'relay-entry.ts'),
      '@homeostat/extension-sdk/breadcrumbs': path.join(SDK_SRC, 'breadcrumbs-entry.ts'),
      '@homeostat/extension-sdk': path.join(SDK_SRC, 'index.ts'),
    },
    plugins: [sharedWithoutSideEffects],
    logLevel: 'warning',
    ...(options.sourcemap === true ? { sourcemap: 'linked' as const } : {}),
  });
  await copyFile(path.join(root, 'src/popup.html'), path.join(outDir, 'popup.html'));
  const manifest = JSON.parse(await readFile(path.join(root, 'manifest.json'), 'utf8'));
  manifest.host_permissions = [`${endpoint.origin}/*`];
  await writeFile(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return outDir;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      endpoint: { type: 'string' },
      out: { type: 'string' },
      sourcemap: { type: 'boolean' },
    },
  });
  const out = await buildDemo({
    endpoint: values.endpoint,
    outDir: values.out,
    sourcemap: values.sourcemap === true,
  });
  console.log(`demo extension built in ${path.relative(process.cwd(), out)}; load it unpacked`);
}
