import { describe, test } from 'vitest';
import { packageName } from '../../src/fix/guardrails/checks/dependency.check.ts';
import { isNewTestFor, pathProblem } from '../../src/fix/guardrails/checks/path.check.ts';
import { checkCandidate } from '../../src/fix/guardrails/guardrails.ts';
import { protectedPathMatch } from '../../src/fix/guardrails/protected-paths.ts';
import { parseScript } from '../../src/fix/guardrails/script-parse.ts';
import { scanScript } from '../../src/fix/guardrails/script-scan.ts';
import { hiddenCharacters, piiLabels, urls } from '../../src/fix/guardrails/text-scan.ts';
import { candidate, context, LIMITS, REPO } from './guardrails-fixture.ts';

/** The heuristics behind the guardrails, one by one, on the cases they are easy to get wrong. */

function dangerKinds(path: string, code: string): string[] {
  const parsed = parseScript(path, code);
  if (!parsed.ok) throw new Error(`fixture does not parse: ${parsed.code}`);
  return [...scanScript(parsed.ast).dangers.keys()].sort();
}

describe('protected paths', () => {
  test('manifests, CI, dependencies and build config anywhere, case-insensitively', ({
    expect,
  }) => {
    for (const p of [
      'manifest.json',
      'extension/manifest.json',
      'Manifest.JSON',
      'src/manifest.chrome.json',
      '.github/workflows/ci.yml',
      '.GitHub/dependabot.yml',
      'packages/ui/package.json',
      'yarn.lock',
      'pnpm-lock.yaml',
      'bun.lockb',
      'npm-shrinkwrap.json',
      '.gitlab-ci.yml',
      '.circleci/config.yml',
      'Jenkinsfile',
      'azure-pipelines.yml',
      'webpack.config.js',
      'vite.config.mts',
      'rollup.config.mjs',
      'esbuild.config.cjs',
      'babel.config.json',
      '.babelrc',
      'postcss.config.js',
      'eslint.config.js',
      '.eslintrc.json',
      'biome.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'Makefile',
      'Dockerfile',
      '.npmrc',
      '.nvmrc',
      '.env.production',
      '.vscode/tasks.json',
      '.husky/pre-push',
      'wxt.config.ts',
      'manifest.config.ts',
    ]) {
      expect(protectedPathMatch(p), p).not.toBeNull();
    }
  });

  test('ordinary extension sources are not protected', ({ expect }) => {
    for (const p of [
      'src/background.js',
      'scripts/content.js', // Chrome's samples keep content scripts in scripts/
      'src/popup/popup.html',
      'src/config.js',
      'src/lib/manifest-utils.ts',
      'test/package.test.js',
      '_locales/en/messages.json',
    ]) {
      expect(protectedPathMatch(p), p).toBeNull();
    }
  });
});

describe('paths', () => {
  test('only normalised repository paths are valid', ({ expect }) => {
    expect(pathProblem('src/a.js')).toBeNull();
    expect(pathProblem('src/ünïcode/a.js')).toBeNull();
    expect(pathProblem('src//a.js')).toBe('empty path segment');
    expect(pathProblem('src/a.js/')).toBe('empty path segment');
    expect(pathProblem('./src/a.js')).toBe("'.' segment");
    expect(pathProblem('C:/x.js')).toBe('drive-letter path');
    expect(pathProblem('src/cafe\u0301.js')).toBe('path not in Unicode NFC');
    expect(pathProblem('src/a\u200b.js')).toBe('invisible character in path');
    expect(pathProblem('')).toBe('empty path');
  });

  test('a new test must sit beside an editable source file with the same name', ({ expect }) => {
    const editable = ['src/lib/storage.js', 'src/popup/popup.tsx'];
    expect(isNewTestFor('src/lib/storage.test.js', editable)).toBe(true);
    expect(isNewTestFor('src/lib/__tests__/storage.spec.ts', editable)).toBe(true);
    expect(isNewTestFor('test/storage.test.js', editable)).toBe(true);
    expect(isNewTestFor('test/popup/popup.test.tsx', editable)).toBe(true);
    expect(isNewTestFor('src/lib/other.test.js', editable)).toBe(false);
    expect(isNewTestFor('src/lib/storage.js.map', editable)).toBe(false);
    expect(isNewTestFor('elsewhere/storage.test.js', editable)).toBe(false);
  });
});

describe('URLs and domains', () => {
  const tokens = (text: string, whole = false) => urls(text, whole).map((u) => u.token);

  test('finds hosts however they are written', ({ expect }) => {
    expect(tokens('see https://Evil.example.com/x?y=1 now')).toEqual([
      'https://evil.example.com/x?y=1',
    ]);
    expect(tokens('wss://h.example.io/s')).toEqual(['wss://h.example.io/s']);
    expect(tokens('//cdn.evil.net/a.js')).toEqual(['//cdn.evil.net']);
    expect(tokens('collect.evil.xyz')).toEqual(['collect.evil.xyz']);
    expect(tokens('EVIL.COM')).toEqual(['evil.com']);
    expect(tokens('evil.top', true)).toEqual(['evil.top']);
    expect(tokens('send to evil.top/x')).toEqual(['evil.top']);
    expect(tokens('www.evil.info')).toEqual(['www.evil.info']);
    expect(tokens('http://localhost:8080/x')).toEqual(['http://localhost:8080/x', 'localhost']);
    expect(tokens('data:text/html;base64,PGI+')).toEqual(['data:text/html']);
    expect(tokens('javascript:void(0)')).toEqual(['javascript:']);
  });

  test('leaves member chains, file names, versions and browser pages alone', ({ expect }) => {
    for (const text of [
      'chrome.runtime.id',
      'popup.js',
      'styles.min.css',
      'README.md',
      'logger.info is noisy',
      'rect.top and navigator.onLine',
      'messages.de',
      'version 1.2.3',
      "tab.url.startsWith('chrome://')",
      'chrome-extension://abc/popup.html',
      '{ data: x }',
      'icon@2x.png',
    ]) {
      expect(tokens(text), text).toEqual([]);
    }
    expect(tokens('chrome.runtime.id', true)).toEqual([]);
  });
});

describe('hidden characters and PII', () => {
  test('a leading BOM belongs to the file; one anywhere else is hidden', ({ expect }) => {
    expect(hiddenCharacters('\ufeffconst a = 1;')).toEqual([]);
    expect(hiddenCharacters('const a\ufeff = 1;').map((o) => o.index)).toEqual([7]);
    expect(hiddenCharacters('emoji ok: 🎉 ü 中文')).toEqual([]);
  });

  test('names what the scrubber would redact', ({ expect }) => {
    expect(piiLabels('mail me at a.b@example.org')).toEqual(['[email]']);
    expect(piiLabels('Cannot read properties of undefined')).toBeNull();
  });
});

describe('dangerous code by syntax tree', () => {
  test('finds each kind in its usual spellings', ({ expect }) => {
    expect(dangerKinds('a.js', 'eval(x); (0, eval)(x); window["eval"](x);')).toEqual(['eval']);
    expect(dangerKinds('a.js', 'new Function("x")();')).toEqual(['function_constructor']);
    expect(dangerKinds('a.js', 'require(name);')).toEqual(['remote_module']);
    expect(dangerKinds('a.mjs', 'export * from "https://x.example.com/m.js";')).toEqual([
      'remote_module',
    ]);
    expect(dangerKinds('a.js', 'el.insertAdjacentHTML("beforeend", html);')).toEqual([
      'html_injection',
    ]);
    expect(
      dangerKinds('a.jsx', 'const a = <div dangerouslySetInnerHTML={{ __html: h }} />;'),
    ).toEqual(['html_injection']);
    expect(dangerKinds('a.ts', 'const e = import.meta.env.SECRET;')).toEqual(['env_access']);
    expect(dangerKinds('a.js', 'navigator.sendBeacon(u, d);')).toEqual(['network']);
  });

  test('leaves ordinary extension code alone', ({ expect }) => {
    expect(
      dangerKinds(
        'a.ts',
        `import { x } from './x.js';
const m = await import('./lazy.js');
el.innerHTML = '<b>static</b>';
el.textContent = msg.text;
setTimeout(() => retry(), 1000);
chrome.scripting.executeScript({ target: { tabId }, func: () => document.title });
chrome.scripting.executeScript({ target: { tabId }, files: ['content.js'] });
const cb: Function = () => {};
const f = document.createElement('div');
obj[key] = value;
window[0];`,
      ),
    ).toEqual([]);
  });

  test('dangerous code the file already has may stay, and may move', ({ expect }) => {
    const before = 'export function run(code) {\n  return eval(code);\n}\n';
    const after =
      'export function run(code) {\n  try {\n    return eval(code);\n  } catch {\n    return undefined;\n  }\n}\n';
    const ctx = context({
      editablePaths: ['src/legacy/run.js'],
      files: {
        'src/legacy/run.js': {
          path: 'src/legacy/run.js',
          content: before,
          blobSha: 's',
          role: 'frame',
        },
      },
    });
    const ok = checkCandidate(
      candidate([{ path: 'src/legacy/run.js', before, after }]),
      ctx,
      REPO,
      LIMITS,
    );
    expect(ok.ok).toBe(true);
    const copied = checkCandidate(
      candidate([
        {
          path: 'src/legacy/run.js',
          before,
          after: `${after}export const again = (c) => eval(c);\n`,
        },
      ]),
      ctx,
      REPO,
      LIMITS,
    );
    expect(copied.ok ? [] : copied.rejections.map((r) => r.reason)).toEqual(['dangerous_code']);
  });
});

describe('tests', () => {
  test('counts tests, assertions, vacuous assertions and skips', ({ expect }) => {
    const parsed = parseScript(
      'a.test.ts',
      `describe('x', () => {
  it('a', () => { expect(count).toBe(0); expect(true).toBe(true); });
  it.skip('b', () => { assert.ok(true); });
  test('c', (t) => { t.skip(); t.assert.equal(f(), 1); });
  xit('d', () => {});
});`,
    );
    if (!parsed.ok) throw new Error('does not parse');
    const scan = scanScript(parsed.ast);
    expect(scan.tests).toHaveLength(4);
    // expect(count), .toBe(0), expect(true), .toBe(true), assert.ok(true), t.assert.equal(f(), 1)
    expect(scan.assertions).toHaveLength(6);
    expect(scan.vacuous).toHaveLength(3); // expect(true), .toBe(true) after it, assert.ok(true)
    expect(scan.skips).toHaveLength(3); // it.skip, t.skip(), xit
  });
});

describe('dependencies', () => {
  test('package names from specifiers', ({ expect }) => {
    expect(packageName('react-dom/client')).toBe('react-dom');
    expect(packageName('@scope/pkg/sub')).toBe('@scope/pkg');
    expect(packageName('node:fs/promises')).toBe('node:fs');
    expect(packageName('./local.js')).toBeNull();
    expect(packageName('@/components/x')).toBeNull();
    expect(packageName('~/x')).toBeNull();
    expect(packageName('#internal')).toBeNull();
    expect(packageName('https://esm.sh/x')).toBeNull();
    expect(packageName('svg-icons?raw')).toBe('svg-icons');
  });
});
