import type { Node } from '@babel/types';
import type { ParsedSource, Token } from './parse-source.ts';
import { end, start } from './walk.ts';

/**
 * Splicing source text by node and token ranges (issue 9 item 4: no regex rewriting of code, no
 * code generator): every change keeps the file's own text around it byte for byte, and what is
 * inserted follows the file's indentation and line endings.
 */

export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/**
 * Applies non-overlapping edits. Identical edits count once; an edit overlapping one already
 * kept is dropped (two frames may point into the same expression).
 */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const kept: TextEdit[] = [];
  for (const edit of sorted) {
    const last = kept[kept.length - 1];
    if (last !== undefined) {
      if (last.start === edit.start && last.end === edit.end && last.text === edit.text) continue;
      if (edit.start < last.end || (edit.start === last.start && edit.start === edit.end)) continue;
    }
    kept.push(edit);
  }
  let out = '';
  let at = 0;
  for (const edit of kept) {
    out += text.slice(at, edit.start) + edit.text;
    at = edit.end;
  }
  return out + text.slice(at);
}

export function sourceOf(parsed: ParsedSource, node: Node): string {
  return parsed.text.slice(start(node), end(node));
}

/** Source text of an expression without whitespace, `?.` read as `.` and TS `!` dropped. */
export function normalizeExpression(text: string): string {
  let out = '';
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote !== null) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      quote = c;
      out += c;
    } else if (c === '?' && text[i + 1] === '.' && !/\d/.test(text[i + 2] ?? '')) {
      // `a?.b` reads as `a.b`; `a?.5:1` is a conditional and keeps its `?`.
    } else if (c === '!' && text[i + 1] !== '=' && /[\w)\]]/.test(out[out.length - 1] ?? '')) {
      // TS non-null assertion `a!.b`
    } else if (!/\s/.test(c)) out += c;
  }
  return out.replace(/"/g, "'");
}

/** Tokens fully inside [from, to). */
export function tokensBetween(parsed: ParsedSource, from: number, to: number): Token[] {
  const tokens = parsed.tokens;
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((tokens[mid]?.start ?? 0) < from) lo = mid + 1;
    else hi = mid;
  }
  const out: Token[] = [];
  for (let i = lo; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.end > to) break;
    out.push(t);
  }
  return out;
}

/**
 * The range of a node including the parentheses around it (Babel keeps `extra.parenthesized`
 * and the outermost `parenStart` instead of a node).
 */
export function outerRange(parsed: ParsedSource, node: Node): { start: number; end: number } {
  const extra = node.extra as { parenthesized?: boolean; parenStart?: number } | undefined;
  if (!extra?.parenthesized || typeof extra.parenStart !== 'number') {
    return { start: start(node), end: end(node) };
  }
  const opens = tokensBetween(parsed, extra.parenStart, start(node)).filter(
    (t) => t.label === '(',
  ).length;
  let closes = 0;
  let to = end(node);
  for (const t of tokensBetween(parsed, end(node), parsed.text.length)) {
    if (t.label !== ')') break;
    to = t.end;
    if (++closes === opens) break;
  }
  return { start: extra.parenStart, end: to };
}

export function newlineOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** The leading whitespace of the line holding `offset`. */
export function lineIndentAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  let i = lineStart;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  return text.slice(lineStart, i);
}

/**
 * The file's indentation step: a tab if lines start with tabs, else the most common positive
 * difference between consecutive indented lines (2 when the file says nothing).
 */
export function indentUnit(text: string): string {
  const counts = new Map<number, number>();
  let tabs = 0;
  let spaces = 0;
  let previous = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const indent = /^[ \t]*/.exec(line)?.[0] ?? '';
    if (indent.startsWith('\t')) tabs++;
    else if (indent.length > 0) spaces++;
    const width = indent.replace(/\t/g, '  ').length;
    const step = width - previous;
    if (step > 0 && step <= 8) counts.set(step, (counts.get(step) ?? 0) + 1);
    previous = width;
  }
  if (tabs > spaces) return '\t';
  let best = 2;
  let seen = 0;
  for (const [step, n] of counts) {
    if (n > seen || (n === seen && step < best)) {
      best = step;
      seen = n;
    }
  }
  return ' '.repeat(best);
}
