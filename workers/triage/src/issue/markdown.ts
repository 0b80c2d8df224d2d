/**
 * Rendering attacker-controlled text into GitHub Markdown (issue 5, item 2; ai-autofix.md §8 T1,
 * T5). Error messages, stacks, breadcrumbs and URLs come from anyone who can post to the public
 * ingest endpoint, so nothing they contain may become a link, an image, a mention that notifies
 * someone, a cross-reference, raw HTML, or escape the block it is placed in.
 *
 * The main tool is code: inside code spans and fenced blocks GitHub renders no Markdown, no HTML,
 * no autolinks, no @mentions and no #references. Breaking out is prevented by choosing a fence
 * longer than any backtick run in the text. Prose that must stay prose (`escapeProse`) is
 * backslash-escaped and entity-encoded, and the constructs GitHub links *after* Markdown
 * rendering (mentions, #123 references, bare URLs) are defused with visible look-alikes, since
 * escaping cannot reach a post-processing filter.
 */

// C0/C1 controls except tab and newline; bidi embeddings/overrides/isolates (Trojan Source);
// zero-width and invisible formatting characters (ai-autofix.md §8 T9).
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

/** Normalises newlines and strips control, bidi and zero-width characters. */
export function cleanText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(INVISIBLE, '');
}

/** Truncates to `max` characters (by code point), marking the cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

function oneLine(text: string, max: number): string {
  return truncate(cleanText(text).replace(/\s+/g, ' ').trim(), max);
}

function span(line: string): string {
  if (line === '') return '`(empty)`';
  const fence = '`'.repeat(longestRun(line, '`') + 1);
  // A span starting or ending with a backtick needs padding (CommonMark §6.1).
  const pad = line.startsWith('`') || line.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${line}${pad}${fence}`;
}

/** One line of untrusted text as an inline code span. */
export function codeSpan(text: string, max = 300): string {
  return span(oneLine(text, max));
}

/**
 * One line of untrusted text as a code span inside a GFM table cell (issue 11, item 3). A table
 * row is split at every `|` before inlines are parsed, code spans included (GFM spec, "Tables":
 * "include a pipe in a cell's content by escaping it, including inside other inline spans"), so
 * a raw `|` would end the cell and leave the rest of the text live Markdown. Pipes are written
 * `\|`, which the table parser turns back into `|`. A backslash already before a pipe would make
 * parsers disagree (cmark-gfm reads `\\|` as an escaped pipe, marked and micromark as an
 * escaped backslash and a live pipe), so a space is put between them.
 */
export function tableCode(text: string, max = 300): string {
  const line = oneLine(text, max);
  return span(line.replace(/\\(?=\|)/g, '\\ ').replace(/\|/g, '\\|'));
}

/**
 * Untrusted multi-line text as a fenced code block whose fence is longer than any backtick run
 * inside, so no line of the text can close it (CommonMark §4.5). The info string is ours.
 */
export function codeBlock(text: string, info = 'text'): string {
  const body = cleanText(text).replace(/\n+$/, '');
  const fence = '`'.repeat(Math.max(3, longestRun(body, '`') + 1));
  return `${fence}${info}\n${body}\n${fence}`;
}

/**
 * Defuses what GitHub links after rendering: `@user`/`@org/team` mentions (notifications),
 * `#123`, `GH-123` and `owner/repo#123` references, and bare or www URLs. The replacements are
 * visible look-alikes, never invisible characters.
 */
export function defuseAutolinks(text: string): string {
  return text
    .replace(/@/g, '＠')
    .replace(/#(?=\d)/g, '＃')
    .replace(/\bGH-(?=\d)/gi, (m) => `${m.slice(0, 2)}‐`)
    .replace(
      /\b([a-z][a-z0-9+.-]*):\/\//gi,
      (_m, scheme: string) => `${scheme.replace(/t/gi, 'x')}[:]//`,
    )
    .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}[.]`);
}

/** Untrusted text as Markdown prose: rendered literally, one paragraph line per input line. */
export function escapeProse(text: string, max = 4_000): string {
  const cleaned = truncate(cleanText(text), max);
  return defuseAutolinks(cleaned)
    .replace(/[\\`*_{}[\]()#+\-.!|~:=^]/g, '\\$&')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .split('\n')
    .map((line) => line.replace(/^\s+/, ''))
    .join('  \n');
}

/**
 * Untrusted text for a plain-text field (an issue title): GitHub does not render Markdown there
 * but does link references, so it is cleaned, put on one line, truncated and defused.
 */
export function plainLine(text: string, max: number): string {
  return truncate(defuseAutolinks(cleanText(text).replace(/\s+/g, ' ').trim()), max);
}

/**
 * Data we produce (ids, versions, counts) as JSON that is safe inside an HTML comment or a
 * fenced block: `<`, `>` and backticks are written as JSON escapes.
 */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/`/g, '\\u0060');
}
