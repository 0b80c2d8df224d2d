import type { Node } from '@babel/types';
import { z } from 'zod';
import type { ParsedSource, Token } from './ast/parse-source.ts';
import { walk } from './ast/walk.ts';

/**
 * Token templates of learned patterns (issue 9 item 4, seed 001's "fix template", made precise):
 * a search template is the token sequence of the changed lines before the fix, a replace
 * template is the text after it, and the identifiers the code names on its own (variables,
 * parameters, functions) are holes, numbered consistently on both sides, so the same fix applies
 * to code that names its things differently. Property names, object keys, globals (`chrome`,
 * `JSON`…), keywords, literals and punctuation stay concrete: they are what makes the shape the
 * same shape.
 */

export const SearchTokenSchema = z.union([
  z.strictObject({ t: z.string().min(1).max(1000) }),
  z.strictObject({ hole: z.int().min(1).max(100) }),
]);
export type SearchToken = z.infer<typeof SearchTokenSchema>;

export const ReplacePartSchema = z.union([
  z.strictObject({ text: z.string().max(4000) }),
  z.strictObject({ hole: z.int().min(1).max(100) }),
]);
export type ReplacePart = z.infer<typeof ReplacePartSchema>;

export const TokenRewriteParamsSchema = z.strictObject({
  v: z.literal(1),
  search: z.array(SearchTokenSchema).min(1).max(120),
  replace: z.array(ReplacePartSchema).max(400),
  /** The replacement's own token shape: where it already matches, the fix is already there. */
  replaceTokens: z.array(SearchTokenSchema).max(300),
  /** Indentation of the first changed line in the learned file (re-based on application). */
  indent: z.string().max(64),
  /** How many lines from the culprit line the shape may start. */
  window: z.int().min(0).max(10),
});
export type TokenRewriteParams = z.infer<typeof TokenRewriteParamsSchema>;

/**
 * Globals an extension's code names but does not define: concrete in templates, because
 * `chrome.storage` and `x.storage` are different shapes.
 */
const GLOBALS = new Set([
  'chrome',
  'browser',
  'globalThis',
  'self',
  'window',
  'document',
  'navigator',
  'location',
  'console',
  'JSON',
  'Math',
  'Date',
  'Promise',
  'Object',
  'Array',
  'String',
  'Number',
  'Boolean',
  'Symbol',
  'Map',
  'Set',
  'WeakMap',
  'Error',
  'TypeError',
  'RegExp',
  'URL',
  'fetch',
  'Response',
  'Request',
  'Headers',
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'queueMicrotask',
  'structuredClone',
  'undefined',
  'NaN',
  'Infinity',
  'require',
  'module',
  'exports',
  'arguments',
]);

/** Start offsets of the identifier tokens that are holes (the code's own names). */
export function holeStarts(parsed: ParsedSource): Set<number> {
  const holes = new Set<number>();
  const concrete = new Set<number>();
  walk(parsed.ast, (node: Node, ancestors) => {
    if (node.type !== 'Identifier') return true;
    const at = node.start ?? -1;
    const parent = ancestors[ancestors.length - 1];
    let own = !GLOBALS.has(node.name);
    if (parent !== undefined) {
      switch (parent.type) {
        case 'MemberExpression':
        case 'OptionalMemberExpression':
          if (parent.property === node && !parent.computed) own = false;
          break;
        case 'ObjectProperty':
        case 'ObjectMethod':
        case 'ClassMethod':
        case 'ClassProperty':
        case 'ClassAccessorProperty':
        case 'TSPropertySignature':
        case 'TSMethodSignature':
          // Keys, and shorthand `{ a }` whose one token is key and value at once.
          if ('key' in parent && parent.key === node && !parent.computed) own = false;
          if (parent.type === 'ObjectProperty' && parent.shorthand) own = false;
          break;
        case 'ImportSpecifier':
        case 'ExportSpecifier':
        case 'ImportDefaultSpecifier':
        case 'ImportNamespaceSpecifier':
        case 'LabeledStatement':
        case 'BreakStatement':
        case 'ContinueStatement':
          own = false;
      }
    }
    if (own && ancestors.some((a) => isTypePosition(a.type))) own = false;
    (own ? holes : concrete).add(at);
    return true;
  });
  for (const at of concrete) holes.delete(at);
  return holes;
}

function isTypePosition(type: string): boolean {
  return (
    type.startsWith('TS') &&
    ![
      'TSAsExpression',
      'TSSatisfiesExpression',
      'TSNonNullExpression',
      'TSTypeAssertion',
      'TSInstantiationExpression',
      'TSParameterProperty',
      'TSEnumDeclaration',
      'TSEnumMember',
      'TSEnumBody',
      'TSModuleDeclaration',
      'TSModuleBlock',
      'TSExportAssignment',
    ].includes(type)
  );
}

/**
 * Abstracts a token run: holes for the code's own identifiers, numbered by first appearance in
 * `names` (shared between the search and the replace side), the rest as text.
 */
export function abstractTokens(
  tokens: readonly Token[],
  holes: ReadonlySet<number>,
  names: Map<string, number>,
  addNames: boolean,
): SearchToken[] {
  return tokens.map((t) => {
    if (t.label === 'name' && holes.has(t.start)) {
      let n = names.get(t.text);
      if (n === undefined && addNames) {
        n = names.size + 1;
        names.set(t.text, n);
      }
      if (n !== undefined) return { hole: n };
    }
    return { t: t.text };
  });
}

/** The replacement: the after-text of `tokens` with the holes' identifiers cut out. */
export function abstractText(
  text: string,
  tokens: readonly Token[],
  holes: ReadonlySet<number>,
  names: ReadonlyMap<string, number>,
): ReplacePart[] {
  const parts: ReplacePart[] = [];
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  if (!first || !last) return parts;
  let at = first.start;
  let literal = '';
  for (const t of tokens) {
    const n = t.label === 'name' && holes.has(t.start) ? names.get(t.text) : undefined;
    if (n === undefined) continue;
    literal += text.slice(at, t.start);
    if (literal) parts.push({ text: literal });
    literal = '';
    parts.push({ hole: n });
    at = t.end;
  }
  literal += text.slice(at, last.end);
  if (literal) parts.push({ text: literal });
  return parts;
}

/**
 * Where `template` matches `tokens` starting at `i`: the identifiers bound to its holes, or
 * null. A hole takes one identifier token that is a hole of the target too, and the same hole
 * the same identifier.
 */
export function matchAt(
  tokens: readonly Token[],
  i: number,
  template: readonly SearchToken[],
  holes: ReadonlySet<number>,
): Map<number, string> | null {
  if (i + template.length > tokens.length) return null;
  const bound = new Map<number, string>();
  const used = new Map<string, number>();
  for (let k = 0; k < template.length; k++) {
    const want = template[k] as SearchToken;
    const tok = tokens[i + k] as Token;
    if ('t' in want) {
      if (tok.text !== want.t) return null;
      continue;
    }
    if (tok.label !== 'name' || !holes.has(tok.start)) return null;
    const previous = bound.get(want.hole);
    if (previous === undefined) {
      // Two holes are two names: `a = b` must not match `x = x`.
      if (used.has(tok.text)) return null;
      bound.set(want.hole, tok.text);
      used.set(tok.text, want.hole);
    } else if (previous !== tok.text) return null;
  }
  return bound;
}

/** Whether a template has something concrete to anchor on beyond punctuation and keywords. */
export function hasAnchor(template: readonly SearchToken[], tokens: readonly Token[]): boolean {
  return template.some((s, k) => {
    if (!('t' in s)) return false;
    const label = tokens[k]?.label;
    return (
      label === 'name' ||
      label === 'string' ||
      label === 'num' ||
      label === 'template' ||
      label === 'jsxName'
    );
  });
}
