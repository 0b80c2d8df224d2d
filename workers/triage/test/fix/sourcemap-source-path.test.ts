import { describe, test } from 'vitest';
import {
  normalizeBuildDir,
  normalizePackagePath,
  resolveSourcePath,
} from '../../src/fix/sourcemap/source-path.ts';

/** Where a map's sources are in the repository (issue 9 item 2); outside it is refused. */

const at = (
  source: string,
  sourceRoot?: string | null,
  file = '/popup.js',
  buildDir = 'ext/dist',
) => resolveSourcePath({ source, sourceRoot, buildDir, file });

describe('resolveSourcePath', () => {
  test('resolves relative sources against the bundle directory inside the build directory', ({
    expect,
  }) => {
    expect(at('../src/popup.ts')).toBe('ext/src/popup.ts');
    expect(at('../../src/lib/a.ts', null, '/bg/worker.js')).toBe('ext/src/lib/a.ts');
    expect(at('./chunk.ts', null, '/bg/worker.js')).toBe('ext/dist/bg/chunk.ts');
    expect(at('../src/popup.ts', undefined, '/popup.js', '')).toBeNull();
    expect(at('src/popup.ts', undefined, '/popup.js', '')).toBe('src/popup.ts');
    expect(at('../src/a.ts?v=3')).toBe('ext/src/a.ts');
  });

  test('prefixes sourceRoot as the spec says', ({ expect }) => {
    expect(at('popup.ts', '../src')).toBe('ext/src/popup.ts');
    expect(at('popup.ts', '../src/')).toBe('ext/src/popup.ts');
    expect(at('popup.ts', '')).toBe('ext/dist/popup.ts');
  });

  test('webpack:// sources are relative to the project, the parent of the build directory', ({
    expect,
  }) => {
    expect(at('webpack://demo-extension/./src/popup.js')).toBe('ext/src/popup.js');
    expect(at('webpack:///./src/popup.js?a1b2')).toBe('ext/src/popup.js');
    expect(at('./src/popup.js', 'webpack://demo')).toBe('ext/src/popup.js');
    expect(at('webpack://demo/webpack/bootstrap')).toBeNull();
    expect(at('webpack://demo/../../../etc/passwd')).toBeNull();
    expect(at('webpack://demo//home/ci/src/a.js')).toBeNull();
  });

  test('refuses what is outside the repository or not a path in it', ({ expect }) => {
    for (const source of [
      '../../../outside.ts',
      '/home/ci/repo/src/popup.ts',
      'file:///home/ci/repo/src/popup.ts',
      'https://cdn.example.com/a.js',
      'webpack-internal:///./src/a.js',
      'C:\\build\\src\\a.ts',
      '../src/a\u0000.ts',
      '',
    ]) {
      expect([source, at(source)]).toEqual([source, null]);
    }
  });
});

describe('package and build paths', () => {
  test('normalizePackagePath keeps one leading slash and refuses climbing', ({ expect }) => {
    expect(normalizePackagePath('/popup.js')).toBe('/popup.js');
    expect(normalizePackagePath('//bg/./worker.js')).toBe('/bg/worker.js');
    for (const bad of ['popup.js', '/../popup.js', '/a/../b.js', '/', '/dir/', '/a\\b.js']) {
      expect([bad, normalizePackagePath(bad)]).toEqual([bad, null]);
    }
    expect(normalizePackagePath(`/${'a'.repeat(2000)}.js`)).toBeNull();
  });

  test('normalizeBuildDir gives a repository path or the root', ({ expect }) => {
    expect(normalizeBuildDir('examples/demo-extension/dist/')).toBe('examples/demo-extension/dist');
    expect(normalizeBuildDir('.')).toBe('');
    expect(normalizeBuildDir('')).toBe('');
    expect(normalizeBuildDir('./dist')).toBe('dist');
    expect(normalizeBuildDir('../dist')).toBeNull();
    expect(normalizeBuildDir('/abs')).toBeNull();
  });
});
