/**
 * Cleaning untrusted text before it goes into a prompt (ai-autofix.md §8, T1 and T9; GitHub's
 * CodeQL CWE-1427 guidance: "strip control characters"). Error messages, stacks and CI output
 * can carry instructions an attacker hid from a human reviewer: text in Unicode tag characters
 * (U+E0000–U+E007F, invisible yet read by models), bidi overrides that reorder what is shown
 * (Trojan Source), zero-width characters, and control characters that rewrite a terminal line.
 * None of them carries meaning a fix needs, so they are removed, not escaped.
 */

// C0 controls except tab and newline, DEL and C1 controls; soft hyphen; Arabic letter mark;
// Mongolian vowel separator; zero-width space/joiners and LRM/RLM; bidi embeddings, overrides
// and isolates; word joiner and invisible operators; BOM; interlinear annotation characters.
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB]/g;
/** Unicode tag characters (plane 14, U+E0000–U+E007F) as UTF-16 surrogate pairs. */
const TAGS = /\uDB40[\uDC00-\uDC7F]/g;

/** Newlines normalised to `\n`; control, bidi, zero-width and tag characters removed. */
export function stripInvisible(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(INVISIBLE, '').replace(TAGS, '');
}

/** At most `max` UTF-16 units, never splitting a surrogate pair, the cut marked. */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 12);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}[truncated]`;
}
