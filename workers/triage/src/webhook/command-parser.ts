import { parse, postprocess, preprocess } from 'micromark';
import { gfm } from 'micromark-extension-gfm';

/**
 * Finds a `/homeostat retry|stop` command in a comment body (issue 11, item 3). Only a line that
 * GitHub renders as the commenter's own paragraph text counts: never one inside a fenced
 * (``` or ~~~) or indented code block, a `>` quote (lazy continuation lines included, which
 * render inside it), an inline code span or HTML comment spanning lines, or raw HTML. Someone
 * quoting or showing a command must not issue it.
 *
 * The comment is parsed with micromark (CommonMark + GFM, the grammar GitHub renders with), not
 * matched line by line: fences inside list items, quotes that continue lazily and code spans
 * across lines are exactly what hand-written line rules get wrong. Where the Markdown is
 * anything but a plain paragraph line (a heading, a table cell, a backslash-escaped slash) the
 * line is not taken: a maintainer can say it again, a command taken wrongly cannot be undone.
 */

export type HomeostatCommand = 'retry' | 'stop';

/** GitHub caps comment bodies at 65,536 characters; nothing longer is read. */
const MAX_BODY = 65_536;

const COMMAND = /^\/homeostat[ \t]+(retry|stop)(?=[ \t]|$)/i;

/** Ancestors under which no paragraph is the commenter speaking in their own voice. */
const EXCLUDED = new Set(['blockQuote', 'htmlFlow', 'codeFenced', 'codeIndented']);

/** Tokens that may precede a paragraph line's text without making it not the line's start. */
const LINE_PREFIX = new Set(['linePrefix', 'listItemIndent', 'whitespace']);

export function findCommand(body: string | null | undefined): HomeostatCommand | null {
  if (body === null || body === undefined || !/\/homeostat/i.test(body)) return null;
  const text = body.slice(0, MAX_BODY).replace(/\r\n?/g, '\n');
  const events = postprocess(
    parse({ extensions: [gfm()] })
      .document()
      .write(preprocess()(text, undefined, true)),
  );
  const stack: string[] = [];
  let excluded = 0;
  let lineStart = false;
  for (const [kind, token] of events) {
    if (kind === 'exit') {
      stack.pop();
      if (EXCLUDED.has(token.type)) excluded--;
      // A line ending inside a paragraph starts its next line.
      if (token.type === 'lineEnding' && stack.at(-1) === 'paragraph') lineStart = true;
      continue;
    }
    const parent = stack.at(-1);
    stack.push(token.type);
    if (EXCLUDED.has(token.type)) excluded++;
    if (token.type === 'paragraph') lineStart = true;
    if (parent !== 'paragraph' || LINE_PREFIX.has(token.type) || token.type === 'lineEnding') {
      continue;
    }
    if (token.type === 'data' && lineStart && excluded === 0) {
      const end = text.indexOf('\n', token.start.offset);
      const line = text.slice(token.start.offset, end === -1 ? undefined : end);
      const command = COMMAND.exec(line)?.[1]?.toLowerCase();
      if (command === 'stop' || command === 'retry') return command;
    }
    lineStart = false;
  }
  return null;
}
