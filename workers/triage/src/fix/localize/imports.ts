import type { RepositoryConfig } from '@homeostat/shared';
import { dirname, joinRelative } from '../source/repo-path.ts';
import { type AstNode, asNode, stringValue, walk } from './parse-source.ts';
import { isLibraryPath, packageToRepoPath } from './path-filters.ts';

/**
 * A file's DIRECT imports of the extension's own files (issue 9, item 3: "their direct imports"):
 * `import … from`, `export … from`, `require()`, `import()` of a literal, TypeScript's
 * `import x = require()` and, for classic service workers, `importScripts()`. Bare specifiers are
 * packages, not the extension's code, and are skipped; relative ones are resolved as bundlers
 * resolve them (exact file, `.js` written for a `.ts` source, an added extension, `/index.*`);
 * an absolute one (`/lib/x.js`, which an extension resolves against its package root) goes
 * through `sourceRoots`.
 */

const RESOLVE_EXTENSIONS = ['.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs', '.mts', '.cts'];
const TS_FOR_JS: Record<string, string[]> = {
  '.js': ['.ts', '.tsx'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
};

/** Every literal module specifier of a parsed file, in source order. */
export function importSpecifiers(program: AstNode): string[] {
  const out: string[] = [];
  const add = (node: unknown) => {
    const value = stringValue(node);
    if (value !== null && value.length <= 1024) out.push(value);
  };
  walk(program, (node) => {
    switch (node.type) {
      case 'ImportDeclaration':
      case 'ExportNamedDeclaration':
      case 'ExportAllDeclaration':
      case 'ImportExpression':
        add(node.source);
        break;
      case 'TSImportEqualsDeclaration': {
        const ref = asNode(node.moduleReference);
        if (ref?.type === 'TSExternalModuleReference') add(ref.expression);
        break;
      }
      case 'CallExpression': {
        const callee = asNode(node.callee);
        const args = node.arguments as unknown[];
        if (callee?.type === 'Import') add(args[0]);
        else if (callee?.type === 'Identifier' && callee.name === 'require') add(args[0]);
        else if (callee?.type === 'Identifier' && callee.name === 'importScripts') {
          for (const arg of args) add(arg);
        }
        break;
      }
    }
  });
  return out;
}

function resolveFile(base: string, has: (path: string) => boolean): string | null {
  if (has(base)) return base;
  const dot = base.lastIndexOf('.');
  const ext = dot > base.lastIndexOf('/') ? base.slice(dot) : '';
  for (const swap of TS_FOR_JS[ext] ?? []) {
    const candidate = `${base.slice(0, dot)}${swap}`;
    if (has(candidate)) return candidate;
  }
  for (const e of RESOLVE_EXTENSIONS) if (has(`${base}${e}`)) return `${base}${e}`;
  for (const e of RESOLVE_EXTENSIONS) if (has(`${base}/index${e}`)) return `${base}/index${e}`;
  return null;
}

export function resolveImport(
  from: string,
  specifier: string,
  repo: RepositoryConfig,
  has: (path: string) => boolean,
): string | null {
  const spec = specifier.replace(/[?#].*$/, '');
  let base: string | null;
  if (spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..') {
    base = joinRelative(dirname(from), spec);
  } else if (spec.startsWith('/') && !spec.startsWith('//')) {
    base = packageToRepoPath(spec, repo);
  } else if (/^[\w.-]+\.m?js$/.test(spec) && !spec.includes('/')) {
    // `importScripts('config.js')` is relative to the worker's own URL.
    base = joinRelative(dirname(from), spec);
  } else {
    return null; // a package or a URL
  }
  if (base === null) return null;
  const resolved = resolveFile(base, has);
  return resolved === null || resolved === from || isLibraryPath(resolved) ? null : resolved;
}

/** The resolved repository files a parsed file imports directly, deduplicated, in source order. */
export function directImports(
  from: string,
  program: AstNode,
  repo: RepositoryConfig,
  has: (path: string) => boolean,
): string[] {
  const out = new Set<string>();
  for (const spec of importSpecifiers(program)) {
    const resolved = resolveImport(from, spec, repo, has);
    if (resolved !== null) out.add(resolved);
  }
  return [...out];
}
