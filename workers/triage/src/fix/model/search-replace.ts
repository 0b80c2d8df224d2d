import type { FileEdit } from '../fix.types.ts';

/**
 * The model's answer → SEARCH/REPLACE edits (docs/architecture.md#model-output-format; research
 * ai-autofix.md §5–§6). The answer is untrusted text: it is size-capped before any parsing, only
 * well-formed blocks become edits, every other line is ignored, and a malformed block is reported
 * with a closed reason and its position — never with its text, which is the model's (and through
 * the prompt, possibly an attacker's).
 *
 * A block is a path line, optionally a ``` fence line, then
 *
 *   <<<<<<< SEARCH
 *   exact existing lines
 *   =======
 *   replacement lines
 *   >>>>>>> REPLACE
 *
 * (Agentless's layout, which is also Aider's `diff` format; Aider's `diff-fenced` puts the path
 * inside the fence, which is accepted too). Marker lengths of 5–9 follow Aider's parser, since
 * models miscount the angle brackets. `...` elisions in SEARCH are refused (§6 rule 5): they can
 * only match by guessing what was left out.
 */

/** Answers above this are refused before parsing (issue 9: "a model answer of 1 MB"). */
export const MAX_ANSWER_BYTES = 256 * 1024;
/** More blocks than this is not a focused fix; the excess is reported, not applied. */
export const MAX_BLOCKS = 40;
const MAX_PATH_LENGTH = 300;
/** How many lines above a SEARCH marker may hold its path (the path, a fence, a blank line). */
const PATH_LOOKBACK = 3;

export type MalformedReason =
  | 'unterminated' // SEARCH without a REPLACE marker before the next SEARCH or the end
  | 'missing_divider' // SEARCH … REPLACE without `=======`
  | 'extra_divider' // more than one `=======` in a block: which half is which is a guess
  | 'no_path' // no path line above the block
  | 'bad_path' // a path that is absolute, climbs out, or holds invisible/control characters
  | 'elision' // a `...` / `// ...` line standing for code the model left out
  | 'stray_marker' // a REPLACE marker outside any block
  | 'too_many_blocks';

export interface MalformedBlock {
  reason: MalformedReason;
  /** Where, never what: `block 2 (line 14)`. */
  detail: string;
}

export type ParseOutcome =
  | { ok: true; edits: FileEdit[]; malformed: MalformedBlock[] }
  | { ok: false; reason: 'answer_too_large'; bytes: number };

const SEARCH_MARKER = /^<{5,9} ?SEARCH>?\s*$/;
const DIVIDER = /^={5,9}\s*$/;
const REPLACE_MARKER = /^>{5,9} ?REPLACE\s*$/;
const FENCE = /^\s*(?:```|~~~)[\w+.-]*\s*$/;

// Controls (tab excepted), bidi controls, zero-width and invisible formatting characters, and
// Unicode tag characters: none belongs in a path, and each can make two paths look alike.
const PATH_INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  /[\u0000-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|\uDB40[\uDC00-\uDC7F]/;

/**
 * A line that stands for omitted code: a bare `...`/`…`, or a comment that starts with one or
 * with the words models use for it (`// ... existing code ...`, `// rest of the function`,
 * `# ...`). Spread syntax (`...defaults,`) is code and does not match.
 */
const BARE_ELISION = /^(?:\.{3,}|…)$/;
const COMMENT_ELISION =
  /^(?:\/\/+|#+|\/\*+|<!--|\{\/\*)\s*(?:\.{3,}|…|(?:existing code|rest of (?:the )?(?:code|file|function|method|class|component)|(?:code|lines?) (?:unchanged|omitted)|unchanged|omitted)\b)/i;

export function isElisionLine(line: string): boolean {
  const t = line.trim();
  return BARE_ELISION.test(t) || COMMENT_ELISION.test(t);
}

function byteLength(text: string): number {
  // Every UTF-16 unit is at least one UTF-8 byte: past the cap by length means past it by bytes,
  // without encoding a megabyte to find out.
  if (text.length > MAX_ANSWER_BYTES) return text.length;
  return new TextEncoder().encode(text).byteLength;
}

type PathResult = { ok: true; path: string } | { ok: false; reason: 'no_path' | 'bad_path' };

/** Markdown decoration models put around a path: `**a.ts**`, `### a.ts`, `` `a.ts` ``, `a.ts:`. */
function cleanPathLine(line: string): string {
  let p = line.trim();
  p = p.replace(/^#{1,6}\s+/, '');
  p = p.replace(/^(?:file(?:name)?|path)\s*:\s*/i, '');
  p = p.replace(/^[*_`]+|[*_`]+$/g, '');
  p = p.replace(/:$/, '');
  p = p.replace(/^[*_`]+|[*_`]+$/g, '');
  return p.trim();
}

export function checkRepoPath(raw: string): PathResult {
  const p = raw.startsWith('./') ? raw.slice(2) : raw;
  // Prose, not a path: the model wrote a sentence where a path belongs.
  if (p === '' || /\s/.test(p)) return { ok: false, reason: 'no_path' };
  if (
    p.length > MAX_PATH_LENGTH ||
    PATH_INVISIBLE.test(p) ||
    p.startsWith('/') ||
    p.includes('\\') ||
    /^[A-Za-z]:/.test(p) ||
    /^[a-z][a-z0-9+.-]*:\/\//i.test(p) ||
    p.split('/').some((s) => s === '' || s === '.' || s === '..')
  ) {
    return { ok: false, reason: 'bad_path' };
  }
  return { ok: true, path: p };
}

function findPath(lines: readonly string[], markerIndex: number, floor: number): PathResult {
  for (let i = markerIndex - 1, seen = 0; i >= floor && seen < PATH_LOOKBACK; i--, seen++) {
    const line = lines[i] ?? '';
    if (line.trim() === '' || FENCE.test(line)) continue;
    return checkRepoPath(cleanPathLine(line));
  }
  return { ok: false, reason: 'no_path' };
}

/** Splits at `\n`, dropping a `\r` before it: CRLF answers are the same answer. */
function splitLines(text: string): string[] {
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

export function parseSearchReplace(answer: string): ParseOutcome {
  const bytes = byteLength(answer);
  if (bytes > MAX_ANSWER_BYTES) return { ok: false, reason: 'answer_too_large', bytes };

  const lines = splitLines(answer);
  const edits: FileEdit[] = [];
  const malformed: MalformedBlock[] = [];
  let block = 0;
  // Lines at or above this index belong to an earlier block and cannot be a path line.
  let floor = 0;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    if (REPLACE_MARKER.test(line)) {
      malformed.push({ reason: 'stray_marker', detail: `line ${i + 1}` });
      i++;
      floor = i;
      continue;
    }
    if (!SEARCH_MARKER.test(line)) {
      i++;
      continue;
    }
    block++;
    const where = `block ${block} (line ${i + 1})`;
    const start = i;
    const dividers: number[] = [];
    let end = -1;
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j] ?? '';
      if (SEARCH_MARKER.test(l)) break;
      if (DIVIDER.test(l)) dividers.push(j);
      else if (REPLACE_MARKER.test(l)) {
        end = j;
        break;
      }
    }
    if (end === -1) {
      malformed.push({ reason: 'unterminated', detail: where });
      // Resume at the next SEARCH marker (or the end): its block may still be well formed.
      i = j;
      floor = start + 1;
      continue;
    }
    i = end + 1;
    const pathFloor = floor;
    floor = i;
    if (block > MAX_BLOCKS) {
      malformed.push({ reason: 'too_many_blocks', detail: where });
      continue;
    }
    const [divider] = dividers;
    if (divider === undefined) {
      malformed.push({ reason: 'missing_divider', detail: where });
      continue;
    }
    if (dividers.length > 1) {
      malformed.push({ reason: 'extra_divider', detail: where });
      continue;
    }
    const path = findPath(lines, start, pathFloor);
    if (!path.ok) {
      malformed.push({ reason: path.reason, detail: where });
      continue;
    }
    const search = lines.slice(start + 1, divider);
    const replace = lines.slice(divider + 1, end);
    if (search.some(isElisionLine) || replace.some(isElisionLine)) {
      malformed.push({ reason: 'elision', detail: where });
      continue;
    }
    edits.push({ path: path.path, search: search.join('\n'), replace: replace.join('\n') });
  }
  return { ok: true, edits, malformed };
}
