import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';

/**
 * Renders Markdown by GitHub's rules (CommonMark + GFM tables, autolink literals, tag filter):
 * micromark follows the GFM spec, whose table rules are GitHub's. Raw HTML is kept, as GitHub
 * keeps what its sanitizer allows (`<img>` among it), so an injection shows up as a tag.
 * @mentions and #references are linked by GitHub after rendering, outside code only:
 * `textOutsideCode` is where they would become live.
 */
export function renderGfm(markdown: string): string {
  return micromark(markdown, {
    allowDangerousHtml: true,
    extensions: [gfm()],
    htmlExtensions: [gfmHtml()],
  });
}

/** Tag names in rendered HTML, in order. */
export function tagsOf(html: string): string[] {
  return [...html.matchAll(/<([a-zA-Z][\w-]*)/g)].map((m) => (m[1] ?? '').toLowerCase());
}

export function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The rendered HTML with every code span and code block removed. */
export function textOutsideCode(html: string): string {
  return html.replace(/<pre>[\s\S]*?<\/pre>/g, '').replace(/<code>[\s\S]*?<\/code>/g, '');
}
