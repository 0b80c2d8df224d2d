import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './lib/workers.ts';

/**
 * `npm run check:sdk-pack` (issue 12, section 4: "the SDK is publishable, checked in CI"). Packs
 * `extension-sdk/` as `npm publish` would (its `prepack` builds dist/), then, as a stranger would
 * see it:
 * - the tarball holds the LICENSE, the README, every file `exports` names, and no source, test or
 *   reference to `@homeostat/shared` (not published; the build bundles it);
 * - a fresh project with only the tarball unpacked into node_modules (and @types/chrome, the
 *   declarations' optional peer) imports every entry point at run time in Node;
 * - `tsc` typechecks a small consumer against the packed declarations under `bundler` and
 *   `nodenext` resolution, with `skipLibCheck` off, and an `@ts-expect-error` proves the types are
 *   real rather than `any`.
 * Nothing is installed from a registry: it runs offline in a few seconds.
 */

const SDK_DIR = path.join(REPO_ROOT, 'extension-sdk');
const failures: string[] = [];
const fail = (what: string) => failures.push(what);

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

/** `npm pack --json` prints the prepack build's own output first; the JSON is what follows. */
function parsePackOutput(stdout: string): PackResult {
  const start = stdout.search(/^\[/m);
  if (start < 0) throw new Error('npm pack printed no JSON');
  const [result] = JSON.parse(stdout.slice(start)) as PackResult[];
  if (result === undefined) throw new Error('npm pack packed nothing');
  return result;
}

function exportTargets(pkg: { exports: Record<string, string | Record<string, string>> }) {
  return Object.values(pkg.exports)
    .flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)))
    .map((p) => p.replace(/^\.\//, ''));
}

const CONSUMER = `// A consumer of the packed SDK, typechecked by scripts/check-sdk-pack.ts.
import {
  captureException,
  type Client,
  init,
  type Options,
  SDK_VERSION,
} from '@homeostat/extension-sdk';
import { breadcrumbsIntegration } from '@homeostat/extension-sdk/breadcrumbs';
import { init as initRelay, report, wrap } from '@homeostat/extension-sdk/relay';

const options: Options = {
  endpoint: 'https://ingest.example.com',
  key: 'hs_pub_example_key_0001',
  integrations: (defaults) => [...defaults, breadcrumbsIntegration()],
};
const client: Client = init(options);
const id: string | undefined = captureException(new Error('boom'));
const version: string = SDK_VERSION;
initRelay();
report('it broke', new Error('x'));
const handler: (e: MouseEvent) => void = wrap((e: MouseEvent) => void e.button);
// @ts-expect-error endpoint must be a string: the declarations are real types, not any.
init({ endpoint: 42, key: 'hs_pub_example_key_0001' });
export { client, handler, id, version };
`;

function tsconfig(resolution: 'bundler' | 'nodenext') {
  return JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: resolution === 'bundler' ? 'ESNext' : 'NodeNext',
      moduleResolution: resolution,
      // An extension's typical settings; DOM and WebWorker together clash under skipLibCheck off.
      lib: ['ES2022', 'DOM'],
      types: ['chrome'],
      strict: true,
      exactOptionalPropertyTypes: true,
      skipLibCheck: false,
      noEmit: true,
    },
    files: ['consumer.ts'],
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const tmp = await mkdtemp(path.join(tmpdir(), 'homeostat-sdk-pack-'));
  try {
    const packed = spawnSync('npm', ['pack', '--json', '--pack-destination', tmp], {
      cwd: SDK_DIR,
      encoding: 'utf8',
    });
    if (packed.status !== 0) {
      throw new Error(`npm pack failed:\n${packed.stdout}${packed.stderr}`);
    }
    const result = parsePackOutput(packed.stdout);
    const files = new Set(result.files.map((f) => f.path));
    const pkg = JSON.parse(readFileSync(path.join(SDK_DIR, 'package.json'), 'utf8'));

    for (const required of ['package.json', 'LICENSE', 'README.md', ...exportTargets(pkg)]) {
      if (!files.has(required)) fail(`the package lacks ${required}`);
    }
    for (const file of files) {
      if (/^(src|test|scripts)\//.test(file) || file.startsWith('tsconfig')) {
        fail(`the package ships ${file}, which is not meant to be published`);
      }
    }
    if (pkg.private === true) fail('package.json is private: npm publish would refuse it');
    if (typeof pkg.license !== 'string') fail('package.json names no license');

    // Unpack as npm install would, into a project that has nothing else.
    const consumer = path.join(tmp, 'consumer');
    const installed = path.join(consumer, 'node_modules/@homeostat/extension-sdk');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', [
      '-xzf',
      path.join(tmp, result.filename),
      '-C',
      installed,
      '--strip-components=1',
    ]);
    for (const file of files) {
      if (!/\.(js|d\.ts)$/.test(file)) continue;
      if (readFileSync(path.join(installed, file), 'utf8').includes('@homeostat/shared')) {
        fail(`${file} refers to @homeostat/shared, which is not published`);
      }
    }
    const chromeTypes = path.join(REPO_ROOT, 'node_modules/@types/chrome');
    if (!existsSync(chromeTypes)) throw new Error('node_modules/@types/chrome is missing');
    mkdirSync(path.join(consumer, 'node_modules/@types'), { recursive: true });
    symlinkSync(chromeTypes, path.join(consumer, 'node_modules/@types/chrome'), 'dir');
    writeFileSync(
      path.join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    writeFileSync(path.join(consumer, 'consumer.ts'), CONSUMER);

    // Run time: every entry point loads as ESM and exports what its declarations promise.
    const load = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const [core, relay, crumbs] = await Promise.all([
           import('@homeostat/extension-sdk'),
           import('@homeostat/extension-sdk/relay'),
           import('@homeostat/extension-sdk/breadcrumbs'),
         ]);
         const fns = [core.init, core.captureException, relay.init, relay.report, crumbs.breadcrumbsIntegration];
         if (!fns.every((f) => typeof f === 'function') || typeof core.SDK_VERSION !== 'string') {
           throw new Error('an entry point lacks an export');
         }`,
      ],
      { cwd: consumer, encoding: 'utf8' },
    );
    if (load.status !== 0) fail(`importing the packed ESM failed:\n${load.stderr}`);

    const tsc = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    for (const resolution of ['bundler', 'nodenext'] as const) {
      const config = path.join(consumer, `tsconfig.${resolution}.json`);
      writeFileSync(config, tsconfig(resolution));
      const typed = spawnSync(process.execPath, [tsc, '-p', config], {
        cwd: consumer,
        encoding: 'utf8',
      });
      if (typed.status !== 0) {
        const output = `${typed.stdout}${typed.stderr}`.split('\n').slice(0, 30).join('\n');
        fail(`the consumer does not typecheck (${resolution}):\n${output}`);
      }
    }

    const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    console.log(
      `sdk pack: ${result.filename}, ${files.size} files, ${kb(result.size)} packed, ` +
        `${kb(result.unpackedSize)} unpacked, checked in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  if (failures.length > 0) {
    console.error(`sdk pack: FAIL\n- ${failures.join('\n- ')}`);
    process.exitCode = 1;
  } else {
    console.log('sdk pack: OK (ESM imports, types resolve under bundler and nodenext)');
  }
}

await main();
