import { diffLines } from 'diff';
import { type FileKind, fileKind, type ParseOutcome, parseScript } from './script-parse.ts';
import { lineAt, lineStarts, type ScriptScan, scanScript } from './script-scan.ts';

/**
 * One changed file as every content check sees it: both versions, the lines the change added
 * (by the `diff` package, as a reviewer reads the diff), and — for scripts — both parses and
 * scans, computed once and shared by the checks.
 */
export interface FileReview {
  path: string;
  before: string;
  after: string;
  kind: FileKind;
  /** `before` is empty: the candidate creates the file. */
  created: boolean;
  isTest: boolean;
  /** Lines of `after` (1-based) the diff shows as added; null when the diff was too large. */
  addedLines: Set<number> | null;
  added: number;
  removed: number;
  afterLineStarts: number[];
  parsedBefore: ParseOutcome | null;
  parsedAfter: ParseOutcome | null;
  scanBefore: ScriptScan | null;
  scanAfter: ScriptScan | null;
}

/** Tests by name or place: `*.test.*`, `*.spec.*`, `*_test.*`, `test_*`, or under a test folder. */
export function isTestPath(path: string): boolean {
  const lower = path.toLowerCase();
  return (
    /(^|\/)(__tests__|tests?|spec|specs|e2e)\//.test(lower) ||
    /\.(test|spec)\.[cm]?[jt]sx?$/.test(lower) ||
    /(^|\/)test_[^/]+\.[cm]?[jt]sx?$|_test\.[cm]?[jt]sx?$/.test(lower)
  );
}

/**
 * Added and removed line counts and the added lines' numbers in `after`. The edit length is
 * capped: a diff longer than the limit is rejected anyway, and Myers' algorithm on two large,
 * different texts is quadratic.
 */
export function lineDiff(
  before: string,
  after: string,
  maxEditLength: number,
): { added: number; removed: number; addedLines: Set<number> } | null {
  const changes = diffLines(before, after, { maxEditLength, ignoreNewlineAtEof: true });
  if (changes === undefined) return null;
  const addedLines = new Set<number>();
  let line = 1;
  let added = 0;
  let removed = 0;
  for (const c of changes) {
    const n = c.count;
    if (c.removed) {
      removed += n;
      continue;
    }
    if (c.added) {
      for (let i = 0; i < n; i++) addedLines.add(line + i);
      added += n;
    }
    line += n;
  }
  return { added, removed, addedLines };
}

export function reviewFile(
  path: string,
  before: string,
  after: string,
  opts: { isTest: boolean; maxEditLength: number },
): FileReview {
  const kind = fileKind(path);
  const diff = lineDiff(before, after, opts.maxEditLength);
  const parsedBefore = kind === 'script' && before !== '' ? parseScript(path, before) : null;
  const parsedAfter = kind === 'script' ? parseScript(path, after) : null;
  return {
    path,
    before,
    after,
    kind,
    created: before === '',
    isTest: opts.isTest,
    addedLines: diff?.addedLines ?? null,
    added: diff?.added ?? 0,
    removed: diff?.removed ?? 0,
    afterLineStarts: lineStarts(after),
    parsedBefore,
    parsedAfter,
    scanBefore: parsedBefore?.ok ? scanScript(parsedBefore.ast) : null,
    scanAfter: parsedAfter?.ok ? scanScript(parsedAfter.ast) : null,
  };
}

export interface Located {
  token: string;
  line: number;
}

/**
 * The occurrences in `after` beyond those in `before`, token by token: what the change added,
 * whether or not the diff shows it on a new line (a re-indented or moved line keeps its tokens,
 * a copied one adds them). Occurrences on added lines are named first.
 */
export function excess<T extends Located>(
  before: readonly { token: string }[],
  after: readonly T[],
  addedLines: ReadonlySet<number> | null,
): T[] {
  const budget = new Map<string, number>();
  for (const o of before) budget.set(o.token, (budget.get(o.token) ?? 0) + 1);
  const onAdded = (o: T) => addedLines?.has(o.line) ?? false;
  // Existing occurrences are matched to unchanged lines first, so what is left over is reported
  // where the diff shows it.
  const ordered = [...after.filter((o) => !onAdded(o)), ...after.filter(onAdded)];
  const out: T[] = [];
  for (const o of ordered) {
    const left = budget.get(o.token) ?? 0;
    if (left > 0) budget.set(o.token, left - 1);
    else out.push(o);
  }
  return out.sort((a, b) => a.line - b.line);
}

/** Occurrences found by index in a whole text, located by line. */
export function locate<T extends { index: number }>(
  starts: readonly number[],
  found: readonly T[],
): (T & { line: number })[] {
  return found.map((f) => ({ ...f, line: lineAt(starts, f.index) }));
}

/** Line of an index inside a piece that starts on `line`. */
export function lineInPiece(text: string, index: number, line: number): number {
  let n = line;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
