import { parse } from '@babel/parser';

/**
 * Parses an extension's source file with @babel/parser (issue 9: "a well-kept parser that runs in
 * workerd"), choosing the syntax plugins from the file name, and walks the result without
 * @babel/traverse (which drags in a code generator the Worker does not need). The parse is
 * tolerant: `errorRecovery` keeps an AST for code with recoverable mistakes, since the file is
 * being localized precisely because it is buggy; an unrecoverable file gives null.
 */

export interface Position {
  line: number;
  column: number;
}

/** The shape the walker relies on; every Babel node has it. */
export interface AstNode {
  type: string;
  loc?: { start: Position; end: Position } | null;
  [key: string]: unknown;
}

export const SCRIPT_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

export function isScriptPath(path: string): boolean {
  return SCRIPT_EXTENSIONS.some((ext) => path.endsWith(ext));
}

function pluginsFor(path: string): Parameters<typeof parse>[1] {
  const dts = path.endsWith('.d.ts');
  if (/\.[mc]?ts$/.test(path)) return { plugins: [['typescript', { dts }]] };
  if (path.endsWith('.tsx')) return { plugins: [['typescript', { dts: false }], 'jsx'] };
  // Plain JavaScript: JSX is common in extension popups built with React and harmless elsewhere.
  return { plugins: ['jsx'] };
}

export function parseSource(path: string, code: string): AstNode | null {
  try {
    const file = parse(code, {
      ...pluginsFor(path),
      sourceType: 'unambiguous',
      errorRecovery: true,
      allowAwaitOutsideFunction: true,
      allowReturnOutsideFunction: true,
      allowImportExportEverywhere: true,
      allowUndeclaredExports: true,
      attachComment: false,
    });
    return file.program as unknown as AstNode;
  } catch {
    return null;
  }
}

const SKIPPED_KEYS = new Set(['loc', 'start', 'end', 'extra', 'range', 'errors', 'comments']);

function isNode(value: unknown): value is AstNode {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string'
  );
}

/**
 * Visits every node depth-first with its parent. Iterative: a deeply nested (or hostile) file
 * cannot exhaust the stack.
 */
export function walk(root: AstNode, visit: (node: AstNode, parent: AstNode | null) => void): void {
  const stack: [AstNode, AstNode | null][] = [[root, null]];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === undefined) break;
    const [node, parent] = item;
    visit(node, parent);
    const children: AstNode[] = [];
    for (const [key, value] of Object.entries(node)) {
      if (SKIPPED_KEYS.has(key)) continue;
      if (Array.isArray(value)) {
        for (const v of value) if (isNode(v)) children.push(v);
      } else if (isNode(value)) children.push(value);
    }
    // Reversed onto the stack so that siblings are visited in source order.
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i] as AstNode, node]);
  }
}

export function stringValue(node: unknown): string | null {
  if (!isNode(node)) return null;
  if (node.type === 'StringLiteral' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral') {
    const quasis = node.quasis as { value: { cooked?: string | null } }[] | undefined;
    const expressions = node.expressions as unknown[] | undefined;
    if (quasis?.length === 1 && (expressions?.length ?? 0) === 0)
      return quasis[0]?.value.cooked ?? null;
  }
  return null;
}

export function asNode(value: unknown): AstNode | null {
  return isNode(value) ? value : null;
}
