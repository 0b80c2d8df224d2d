import type { Node } from '@babel/types';

/**
 * A depth-first walk over a Babel AST with each node's ancestors, without @babel/traverse (which
 * drags a code generator into the Worker). Iterative, so a deeply nested or hostile file cannot
 * exhaust the stack.
 */

const SKIPPED = new Set([
  'loc',
  'start',
  'end',
  'range',
  'extra',
  'leadingComments',
  'trailingComments',
  'innerComments',
  'comments',
  'tokens',
  'errors',
]);

export function isNode(value: unknown): value is Node {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string' &&
    typeof (value as { start?: unknown }).start === 'number'
  );
}

export function children(node: Node): Node[] {
  const out: Node[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (SKIPPED.has(key)) continue;
    if (Array.isArray(value)) {
      for (const v of value) if (isNode(v)) out.push(v);
    } else if (isNode(value)) out.push(value);
  }
  return out.sort((a, b) => start(a) - start(b));
}

/** A visited node and its ancestors, outermost first (a snapshot: safe to keep). */
export interface Visit<T extends Node = Node> {
  node: T;
  ancestors: readonly Node[];
}

/**
 * Calls `visit` for every node in source order; returning false skips the node's subtree. The
 * ancestors array passed to `visit` is reused: copy it to keep it (or use `collect`).
 */
export function walk(
  root: Node,
  visit: (node: Node, ancestors: readonly Node[]) => boolean | undefined,
): void {
  const ancestors: Node[] = [];
  const stack: [Node, number][] = [[root, 0]];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === undefined) break;
    const [node, depth] = item;
    ancestors.length = depth;
    if (visit(node, ancestors) === false) continue;
    ancestors.push(node);
    const kids = children(node);
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i] as Node, depth + 1]);
  }
}

/** Every node satisfying `test`, with a copy of its ancestors. */
export function collect<T extends Node>(
  root: Node,
  test: (node: Node, ancestors: readonly Node[]) => node is T,
): Visit<T>[] {
  const out: Visit<T>[] = [];
  walk(root, (node, ancestors) => {
    if (test(node, ancestors)) out.push({ node, ancestors: [...ancestors] });
    return true;
  });
  return out;
}

export function start(node: Node): number {
  return node.start ?? 0;
}

export function end(node: Node): number {
  return node.end ?? 0;
}

const FUNCTION_TYPES = new Set([
  'FunctionDeclaration',
  'FunctionExpression',
  'ArrowFunctionExpression',
  'ObjectMethod',
  'ClassMethod',
  'ClassPrivateMethod',
]);

export type FunctionNode = Extract<
  Node,
  {
    type:
      | 'FunctionDeclaration'
      | 'FunctionExpression'
      | 'ArrowFunctionExpression'
      | 'ObjectMethod'
      | 'ClassMethod'
      | 'ClassPrivateMethod';
  }
>;

export function isFunction(node: Node): node is FunctionNode {
  return FUNCTION_TYPES.has(node.type);
}

/** The index in `ancestors` of the innermost enclosing function, or -1. */
export function enclosingFunctionIndex(ancestors: readonly Node[]): number {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const a = ancestors[i];
    if (a !== undefined && isFunction(a)) return i;
  }
  return -1;
}

/**
 * Whether a bare `return;` type-checks in `fn`: always in JavaScript; in TypeScript when the
 * function's return type is inferred or admits undefined (`void`, `undefined`, `any`, `unknown`).
 * `source` is the file's text, `typescript` whether it is a TS file.
 */
export function allowsBareReturn(fn: Node, source: string, typescript: boolean): boolean {
  if (!typescript || !isFunction(fn)) return true;
  const annotation = (fn as { returnType?: Node | null }).returnType;
  if (annotation == null) return true;
  return /\b(?:void|undefined|any|unknown)\b/.test(
    source.slice(start(annotation), end(annotation)),
  );
}
