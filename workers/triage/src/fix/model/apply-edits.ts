import type { FileChange, FileEdit } from '../fix.types.ts';

/**
 * Applies SEARCH/REPLACE edits to in-memory files (ai-autofix.md §6, "How to apply the blocks"):
 *
 *   1. an exact line-sequence match, which must be unique in the file (SWE-agent's and
 *      OpenHands' `str_replace` rule, stricter than Aider's "first occurrence");
 *   2. failing that, a whitespace-relative match — trailing whitespace ignored, leading
 *      indentation allowed to differ by one uniform prefix (Aider's
 *      `replace_part_with_missing_leading_whitespace`) — also unique; the replacement is
 *      re-indented by the same prefix;
 *   3. otherwise the edit fails. Never an edit-distance match: Aider's own fuzzy matcher is
 *      unreachable code, and a near miss is how a fix lands in the wrong place.
 *
 * An empty SEARCH creates a file, only where none exists (whether the path is allowed is the
 * guardrails' decision). Edits to one file apply in order, each to the result of the previous
 * one. The outcome is all or nothing: every failure is reported, and a candidate with any failed
 * edit yields no changes.
 */

export type ApplyFailureReason =
  | 'no_match' // SEARCH found nowhere, exactly or whitespace-relative
  | 'ambiguous' // SEARCH found in more than one place
  | 'unknown_file' // SEARCH against a file that is not among the given ones
  | 'file_exists'; // an empty SEARCH (create) for a file that exists

export interface ApplyFailure {
  path: string;
  /** 0-based index of the edit in the list given. */
  edit: number;
  reason: ApplyFailureReason;
}

export type ApplyOutcome =
  | { ok: true; changes: FileChange[] }
  | { ok: false; failures: ApplyFailure[] };

interface Line {
  text: string;
  /** The line's own ending ('' for a last line without one): CRLF files stay CRLF. */
  eol: string;
}

function toLines(text: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) {
      out.push({ text: text.slice(start), eol: '' });
      break;
    }
    const cr = nl > start && text[nl - 1] === '\r';
    out.push({ text: text.slice(start, cr ? nl - 1 : nl), eol: cr ? '\r\n' : '\n' });
    start = nl + 1;
  }
  return out;
}

function fromLines(lines: readonly Line[]): string {
  return lines.map((l) => l.text + l.eol).join('');
}

function splitBlock(text: string): string[] {
  return text === '' ? [] : text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

const isBlank = (s: string) => s.trim() === '';
const leading = (s: string) => s.length - s.trimStart().length;

type Match = { kind: 'none' } | { kind: 'ambiguous' } | { kind: 'one'; at: number; out: string[] };

function exactMatch(lines: readonly Line[], search: readonly string[], replace: string[]): Match {
  let at = -1;
  for (let i = 0; i + search.length <= lines.length; i++) {
    if (search.every((s, k) => lines[i + k]?.text === s)) {
      if (at !== -1) return { kind: 'ambiguous' };
      at = i;
    }
  }
  return at === -1 ? { kind: 'none' } : { kind: 'one', at, out: replace };
}

function relativeMatch(
  lines: readonly Line[],
  search: readonly string[],
  replace: string[],
): Match {
  const trimmed = search.map((s) => s.trimEnd());
  // The indentation SEARCH and REPLACE share is what the file may indent differently.
  const indents = [...trimmed, ...replace].filter((s) => !isBlank(s)).map(leading);
  const common = indents.length === 0 ? 0 : Math.min(...indents);
  const bare = trimmed.map((s) => (isBlank(s) ? '' : s.slice(common)));
  let found: { at: number; prefix: string } | null = null;
  for (let i = 0; i + bare.length <= lines.length; i++) {
    let prefix: string | null = null;
    const fits = bare.every((want, k) => {
      const have = (lines[i + k]?.text ?? '').trimEnd();
      if (want === '') return have === '';
      if (!have.endsWith(want)) return false;
      const p = have.slice(0, have.length - want.length);
      if (!isBlank(p)) return false;
      prefix ??= p;
      return p === prefix;
    });
    if (fits && prefix !== null) {
      if (found !== null) return { kind: 'ambiguous' };
      found = { at: i, prefix };
    }
  }
  if (found === null) return { kind: 'none' };
  const { prefix } = found;
  const out = replace.map((r) => (isBlank(r) ? '' : prefix + r.trimEnd().slice(common)));
  return { kind: 'one', at: found.at, out };
}

function splice(lines: Line[], at: number, count: number, out: readonly string[]): Line[] {
  const eol = lines[at]?.eol || '\n';
  const lastEol = lines[at + count - 1]?.eol ?? eol;
  const added = out.map((text, k) => ({ text, eol: k === out.length - 1 ? lastEol : eol }));
  return [...lines.slice(0, at), ...added, ...lines.slice(at + count)];
}

export function applyEdits(
  files: Readonly<Record<string, string>>,
  edits: readonly FileEdit[],
): ApplyOutcome {
  // Working copies by path: `before` is null for a file the edits create.
  const work = new Map<string, { before: string | null; lines: Line[] }>();
  const failures: ApplyFailure[] = [];
  for (const [index, edit] of edits.entries()) {
    const fail = (reason: ApplyFailureReason) => {
      failures.push({ path: edit.path, edit: index, reason });
    };
    let file = work.get(edit.path);
    if (file === undefined && Object.hasOwn(files, edit.path)) {
      const text = files[edit.path] ?? '';
      file = { before: text, lines: toLines(text) };
      work.set(edit.path, file);
    }
    const replace = splitBlock(edit.replace);
    if (isBlank(edit.search)) {
      if (file !== undefined) fail('file_exists');
      else
        work.set(edit.path, { before: null, lines: replace.map((text) => ({ text, eol: '\n' })) });
      continue;
    }
    if (file === undefined) {
      fail('unknown_file');
      continue;
    }
    let search = splitBlock(edit.search);
    // A block that quotes a file through its final newline ends in an empty line the file does
    // not have (models do this with whole-file SEARCH blocks): a trailing blank line on both
    // sides is whitespace, and dropping it cannot make a match ambiguous that was not before.
    if (search.length > 1 && search.at(-1) === '' && replace.at(-1) === '') {
      search = search.slice(0, -1);
      replace.pop();
    }
    let match = exactMatch(file.lines, search, replace);
    if (match.kind === 'none') match = relativeMatch(file.lines, search, replace);
    if (match.kind === 'one') file.lines = splice(file.lines, match.at, search.length, match.out);
    else fail(match.kind === 'none' ? 'no_match' : 'ambiguous');
  }
  if (failures.length > 0) return { ok: false, failures };
  const changes: FileChange[] = [];
  for (const [path, file] of work) {
    const after = fromLines(file.lines);
    if (file.before === null || after !== file.before) {
      changes.push({ path, before: file.before ?? '', after });
    }
  }
  return { ok: true, changes };
}
