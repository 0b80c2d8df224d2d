import { excess, type FileReview, lineInPiece, locate } from '../file-review.ts';
import type { GuardrailRejection } from '../guardrails.ts';
import type { Piece } from '../script-scan.ts';
import { type UrlKind, urls } from '../text-scan.ts';

/**
 * No added URL or domain (docs/architecture.md#guardrails; research ai-autofix.md §8 T3: a fix that
 * adds `fetch` to an attacker's host, a remote script, or a link for the PR to carry). In scripts
 * only literal text is read (strings, templates, comments, JSX text), so `chrome.runtime.id` and
 * `popup.js` in code are no hosts; other files are read whole. A URL already in the file may
 * stay or move; a new one, or a new copy, is rejected.
 */

const LABEL: Record<UrlKind, string> = {
  scheme_url: 'an added URL',
  pseudo_url: 'an added javascript:, data: or similar URL',
  protocol_relative_url: 'an added protocol-relative URL',
  domain: 'an added domain name',
  localhost: 'an added localhost address',
};

type Found = { token: string; line: number; kind: UrlKind };

function inPieces(pieces: readonly Piece[]): Found[] {
  return pieces.flatMap((p) =>
    urls(p.text, p.whole).map((u) => ({
      token: u.token,
      kind: u.kind,
      line: lineInPiece(p.text, u.index, p.line),
    })),
  );
}

function found(r: FileReview, side: 'before' | 'after'): Found[] | null {
  const scan = side === 'before' ? r.scanBefore : r.scanAfter;
  if (r.kind === 'script' && scan !== null) return inPieces(scan.pieces);
  if (r.kind === 'script' && side === 'after') return null; // a parse error is reported instead
  const text = side === 'before' ? r.before : r.after;
  return locate(side === 'before' ? [] : r.afterLineStarts, urls(text, false)).map((u) => ({
    token: u.token,
    kind: u.kind,
    line: side === 'before' ? 0 : u.line,
  }));
}

export function checkUrls(r: FileReview): GuardrailRejection[] {
  const after = found(r, 'after');
  if (after === null) return [];
  return excess(found(r, 'before') ?? [], after, r.addedLines).map((u) => ({
    reason: 'added_url' as const,
    path: r.path,
    line: u.line,
    detail: LABEL[u.kind],
  }));
}
