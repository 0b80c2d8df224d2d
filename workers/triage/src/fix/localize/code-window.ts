import type { CodeWindow } from '../fix.types.ts';
import { type AstNode, asNode, walk } from './parse-source.ts';

/**
 * The code a candidate is built from (issue 9, item 3): a window of lines around each frame line
 * and the culprit's whole enclosing function, merged where they overlap, so neither the prompt
 * nor a pattern sees a frame's line without what surrounds it.
 */

export const WINDOW_RADIUS = 25;
/** A longer enclosing function (a module-wide IIFE, a huge handler) is cut around the line. */
export const MAX_FUNCTION_LINES = 200;

const FUNCTION_TYPES = new Set([
  'FunctionDeclaration',
  'FunctionExpression',
  'ArrowFunctionExpression',
  'ObjectMethod',
  'ClassMethod',
  'ClassPrivateMethod',
]);

export interface FunctionRange {
  startLine: number;
  endLine: number;
  name: string | null;
}

function keyName(key: unknown): string | null {
  const node = asNode(key);
  if (node === null) return null;
  if (node.type === 'Identifier' && typeof node.name === 'string') return node.name;
  if (node.type === 'StringLiteral' && typeof node.value === 'string') return node.value;
  if (node.type === 'PrivateName') return keyName(node.id);
  return null;
}

/** The name a function is known by: its own, or the binding, property or method it is assigned to. */
function functionName(fn: AstNode, parent: AstNode | null): string | null {
  const own = keyName(fn.id) ?? (fn.type === 'FunctionExpression' ? null : keyName(fn.key));
  if (own !== null) return own;
  if (parent === null) return null;
  switch (parent.type) {
    case 'VariableDeclarator':
      return keyName(parent.id);
    case 'ObjectProperty':
    case 'ClassProperty':
    case 'ClassPrivateProperty':
      return keyName(parent.key);
    case 'AssignmentExpression': {
      const left = asNode(parent.left);
      return left?.type === 'MemberExpression' ? keyName(left.property) : keyName(left);
    }
    default:
      return null;
  }
}

/** The smallest function whose lines contain `line`, with its name. */
export function enclosingFunction(program: AstNode, line: number): FunctionRange | null {
  let best: FunctionRange | null = null;
  walk(program, (node, parent) => {
    if (!FUNCTION_TYPES.has(node.type) || !node.loc) return;
    const { start, end } = node.loc;
    if (start.line > line || end.line < line) return;
    if (best === null || end.line - start.line < best.endLine - best.startLine) {
      best = { startLine: start.line, endLine: end.line, name: functionName(node, parent) };
    }
  });
  return best;
}

interface Range {
  start: number;
  end: number;
}

/** Windows of one file: ±WINDOW_RADIUS around each line, plus `fn` when given, merged. */
export function codeWindows(
  path: string,
  content: string,
  lines: readonly number[],
  fn: FunctionRange | null,
): CodeWindow[] {
  const text = content.split('\n');
  // A final newline ends the last line; it does not start another.
  if (text.length > 1 && text.at(-1) === '') text.pop();
  const last = Math.max(1, text.length);
  const clamp = (n: number) => Math.min(last, Math.max(1, n));
  const ranges: Range[] = lines.map((l) => ({
    start: clamp(l - WINDOW_RADIUS),
    end: clamp(l + WINDOW_RADIUS),
  }));
  if (fn !== null) {
    const anchor = lines[0] ?? fn.startLine;
    const half = Math.floor(MAX_FUNCTION_LINES / 2);
    const long = fn.endLine - fn.startLine + 1 > MAX_FUNCTION_LINES;
    ranges.push({
      start: clamp(long ? Math.max(fn.startLine, anchor - half) : fn.startLine),
      end: clamp(long ? Math.min(fn.endLine, anchor + half) : fn.endLine),
    });
  }
  ranges.sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: Range[] = [];
  for (const r of ranges) {
    const prev = merged.at(-1);
    // Touching windows merge too: two windows one line apart read as one block.
    if (prev !== undefined && r.start <= prev.end + 1) prev.end = Math.max(prev.end, r.end);
    else merged.push({ ...r });
  }
  return merged.map((r) => ({
    path,
    startLine: r.start,
    endLine: r.end,
    text: text.slice(r.start - 1, r.end).join('\n'),
  }));
}
