import { parse } from '@babel/parser';
import type { File } from '@babel/types';

/**
 * Parsing of changed files (issue 9 item 6; research ai-autofix.md §10 check 3: no touched
 * `.js/.ts/.tsx/.jsx/.json` file that fails to parse). @babel/parser is pure JavaScript, runs in
 * workerd and knows JSX and TypeScript, which every extension build tool accepts.
 */

export type FileKind = 'script' | 'json' | 'html' | 'text';

type ParserOptions = NonNullable<Parameters<typeof parse>[1]>;
type SourceType = NonNullable<ParserOptions['sourceType']>;

interface Dialect {
  plugins: NonNullable<ParserOptions['plugins']>;
  /** Tried in order; the first that parses wins. */
  sourceTypes: SourceType[];
}

function extension(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  if (name.endsWith('.d.ts') || name.endsWith('.d.mts') || name.endsWith('.d.cts')) return 'd.ts';
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot + 1);
}

export function fileKind(path: string): FileKind {
  const ext = extension(path);
  if (['js', 'mjs', 'cjs', 'jsx', 'ts', 'mts', 'cts', 'tsx', 'd.ts'].includes(ext)) return 'script';
  if (ext === 'json') return 'json';
  if (ext === 'html' || ext === 'htm') return 'html';
  return 'text';
}

function dialect(path: string): Dialect {
  const ext = extension(path);
  // A `.js` file may be a module or a classic script (content scripts and MV2 backgrounds are
  // scripts); `.mjs`/`.cjs` say which. JSX is enabled for plain JS because React extensions
  // write it in `.js` files, and it never changes how valid JS without JSX parses.
  const sourceTypes: SourceType[] =
    ext === 'mjs' || ext === 'mts'
      ? ['module']
      : ext === 'cjs' || ext === 'cts'
        ? ['commonjs']
        : ['module', 'script'];
  switch (ext) {
    case 'ts':
    case 'mts':
    case 'cts':
      // No JSX: `<T>(x) => x` is a generic arrow in `.ts`, an element in `.tsx`.
      return { plugins: [['typescript', {}]], sourceTypes };
    case 'd.ts':
      return { plugins: [['typescript', { dts: true }]], sourceTypes };
    case 'tsx':
      return { plugins: ['jsx', ['typescript', {}]], sourceTypes };
    default:
      return { plugins: ['jsx'], sourceTypes };
  }
}

export type ParseOutcome =
  | { ok: true; ast: File }
  /** `code` is Babel's reason code (e.g. `UnexpectedToken`): never the message, which may quote the source. */
  | { ok: false; code: string; line: number | null };

export function parseScript(path: string, text: string): ParseOutcome {
  const { plugins, sourceTypes } = dialect(path);
  let first: ParseOutcome | null = null;
  for (const sourceType of sourceTypes) {
    try {
      const ast = parse(text, { sourceType, plugins, attachComment: false, errorRecovery: false });
      return { ok: true, ast };
    } catch (e) {
      first ??= failure(e);
    }
  }
  return first ?? { ok: false, code: 'unknown', line: null };
}

function failure(e: unknown): ParseOutcome {
  const err = e as { reasonCode?: unknown; loc?: { line?: unknown } };
  const code = typeof err.reasonCode === 'string' ? err.reasonCode.slice(0, 60) : 'SyntaxError';
  const line = typeof err.loc?.line === 'number' ? err.loc.line : null;
  return { ok: false, code: /^\w+$/.test(code) ? code : 'SyntaxError', line };
}

export function parseJson(text: string): { ok: true } | { ok: false } {
  try {
    JSON.parse(text);
    return { ok: true };
  } catch {
    return { ok: false };
  }
}
