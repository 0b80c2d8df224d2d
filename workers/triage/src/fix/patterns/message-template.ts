import { parameterizeMessage } from '@homeostat/shared';

/**
 * Message templates of pattern signatures (issue 9 item 4). A template is a message as
 * `parameterizeMessage` (packages/shared, the fingerprint's own parameterisation) prints it, so
 * ids, numbers and URLs are already `<int>`, `<url>`…, plus named holes `<@name>` that match any
 * non-empty text and capture it:
 *   Cannot read properties of <@nullish> (reading '<@property>')
 *   No tab with id: <int>.
 * A learned pattern's template is its fingerprint's parameterised message, with no holes.
 *
 * Matching never runs a regular expression over the message (attacker-controlled text): the
 * template's literal runs are found left to right with indexOf, the last one anchored at the end,
 * which is linear in the message. Captures are taken from the raw message when the template
 * matches it too (a property named `0` stays `0`, not `<int>`), else from the parameterised one.
 */

export type TemplatePart = { literal: string } | { hole: string };

/** Messages longer than this are compared by their first characters only. */
const MAX_MESSAGE = 2048;
const HOLE = /<@([a-z][A-Za-z0-9]{0,31})>/g;

export function parseTemplate(template: string): TemplatePart[] | null {
  const parts: TemplatePart[] = [];
  let at = 0;
  for (const m of template.matchAll(HOLE)) {
    const index = m.index ?? 0;
    if (index > at) parts.push({ literal: template.slice(at, index) });
    else if (parts.length > 0) return null; // two holes in a row cannot be split
    parts.push({ hole: m[1] as string });
    at = index + m[0].length;
  }
  if (at < template.length) parts.push({ literal: template.slice(at) });
  return parts.length === 0 ? null : parts;
}

/** Literal characters: the more a template pins down, the more specific it is. */
export function templateSpecificity(template: string): number {
  return (parseTemplate(template) ?? []).reduce(
    (n, p) => n + ('literal' in p ? p.literal.length : 0),
    0,
  );
}

export function matchTemplate(
  parts: readonly TemplatePart[],
  text: string,
): Record<string, string> | null {
  const captures: Record<string, string> = {};
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as TemplatePart;
    if ('literal' in part) {
      // Only the first literal is matched here; each later one ends the hole before it.
      if (i === 0) {
        if (!text.startsWith(part.literal)) return null;
        at = part.literal.length;
      }
      continue;
    }
    const next = parts[i + 1] as { literal: string } | undefined;
    let until: number;
    if (next === undefined) until = text.length;
    else if (i + 1 === parts.length - 1) {
      if (!text.endsWith(next.literal)) return null;
      until = text.length - next.literal.length;
    } else {
      until = text.indexOf(next.literal, at);
      if (until < 0) return null;
    }
    if (until <= at) return null;
    captures[part.hole] = text.slice(at, until);
    at = until + (next?.literal.length ?? 0);
  }
  return at === text.length ? captures : null;
}

/** The message as grouping keeps it: blank lines dropped, lines trimmed, the first two kept. */
function groupedText(message: string): string {
  const lines = message
    .slice(0, MAX_MESSAGE)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(0, 2).join('\n') + (lines.length > 2 ? '...' : '');
}

export interface MessageMatch {
  captures: Record<string, string>;
}

export function matchMessage(template: string, message: string): MessageMatch | null {
  const parts = parseTemplate(template);
  if (parts === null) return null;
  const parameterized = parameterizeMessage(message.slice(0, MAX_MESSAGE));
  const matched = matchTemplate(parts, parameterized);
  if (matched === null) return null;
  const raw = matchTemplate(parts, groupedText(message));
  return { captures: raw ?? matched };
}
