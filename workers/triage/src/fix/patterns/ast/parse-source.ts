import { type ParserOptions, parse } from '@babel/parser';
import type { File } from '@babel/types';

/**
 * Parsing for the pattern library's transforms (issue 9 item 4: "real AST/token-level
 * transforms"). Unlike localization, which tolerates broken files, a transform needs an exact
 * AST with ranges and the token stream, so recovery is off: a file that does not parse cleanly
 * is not rewritten (`parse_failed`), and a rewritten file must parse again before it is offered.
 */

/** A code token (comments excluded): Babel's token label and the exact source text. */
export interface Token {
  label: string;
  text: string;
  start: number;
  end: number;
  /** 1-based line of `start`. */
  line: number;
}

export interface ParsedSource {
  path: string;
  text: string;
  ast: File;
  tokens: Token[];
  lines: LineIndex;
}

/** Larger files than this are not rewritten: the source reader bounds them anyway. */
export const MAX_SOURCE_CHARS = 1024 * 1024;

const SCRIPT = /\.(?:[cm]?[jt]s|[jt]sx)$/;

/** TypeScript: inserted code must also type-check there. */
export function isTypeScriptPath(path: string): boolean {
  return /\.(?:[cm]?ts|tsx)$/.test(path);
}

export function isScriptPath(path: string): boolean {
  return SCRIPT.test(path) && !/\.d\.[cm]?ts$/.test(path);
}

function optionsFor(path: string): ParserOptions[] {
  // `.ts` has no JSX (`<T>(x) => x` is a generic arrow there); `.js` gets JSX because React
  // extensions write it in `.js`, and JSX never changes how JSX-free code parses. A `.js` file may
  // be a module or a classic script (content scripts are scripts), so both are tried.
  const plugins: ParserOptions['plugins'] = /\.[cm]?ts$/.test(path)
    ? [['typescript', {}]]
    : path.endsWith('.tsx')
      ? ['jsx', ['typescript', {}]]
      : ['jsx'];
  const base: ParserOptions = { plugins, tokens: true, errorRecovery: false, attachComment: false };
  if (/\.m[jt]s$/.test(path)) return [{ ...base, sourceType: 'module' }];
  if (/\.c[jt]s$/.test(path)) return [{ ...base, sourceType: 'commonjs' }];
  return [
    { ...base, sourceType: 'module' },
    { ...base, sourceType: 'script' },
  ];
}

interface RawToken {
  type: string | { label: string };
  start: number;
  end: number;
}

export function parseSource(path: string, text: string): ParsedSource | null {
  if (!isScriptPath(path) || text.length > MAX_SOURCE_CHARS) return null;
  const lines = new LineIndex(text);
  for (const options of optionsFor(path)) {
    let ast: File;
    try {
      ast = parse(text, options) as File;
    } catch {
      continue;
    }
    const tokens: Token[] = [];
    for (const raw of (ast.tokens ?? []) as RawToken[]) {
      if (typeof raw.type === 'string') continue; // CommentLine / CommentBlock
      if (raw.type.label === 'eof') continue;
      tokens.push({
        label: raw.type.label,
        text: text.slice(raw.start, raw.end),
        start: raw.start,
        end: raw.end,
        line: lines.lineOf(raw.start),
      });
    }
    return { path, text, ast, tokens, lines };
  }
  return null;
}

/** Whether `text` parses as the same kind of file (every rewritten file is checked). */
export function parses(path: string, text: string): boolean {
  return parseSource(path, text) !== null;
}

/** 1-based lines and columns ↔ offsets. */
export class LineIndex {
  readonly #starts: number[] = [0];
  readonly #length: number;

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.#starts.push(i + 1);
    this.#length = text.length;
  }

  get count(): number {
    return this.#starts.length;
  }

  /** Offset of the first character of `line` (clamped). */
  lineStart(line: number): number {
    const i = Math.min(Math.max(line, 1), this.#starts.length) - 1;
    return this.#starts[i] ?? 0;
  }

  /** Offset of the end of `line` (before its newline). */
  lineEnd(line: number): number {
    const next = this.#starts[Math.min(Math.max(line, 1), this.#starts.length)];
    return next === undefined ? this.#length : next - 1;
  }

  /** Offset of a 1-based line and column, clamped to the line. */
  offset(line: number, column: number): number {
    const start = this.lineStart(line);
    return Math.min(start + Math.max(column - 1, 0), this.lineEnd(line));
  }

  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.#starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}
