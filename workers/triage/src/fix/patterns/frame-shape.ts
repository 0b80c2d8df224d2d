import type { Node } from '@babel/types';
import type { FixContext, ResolvedFrame } from '../fix.types.ts';
import { extensionApiCall, isCall, memberPath } from './ast/chrome-api.ts';
import { type ParsedSource, parseSource } from './ast/parse-source.ts';
import { end, start, walk } from './ast/walk.ts';

/**
 * The frame shape of a pattern signature (issue 9 item 4): what kind of expression the culprit
 * frame points at, from the code itself, so that a learned fix for a property read is not offered
 * for a JSON parse that failed with a similar message. At a known column the innermost expression
 * there decides; without one, the most telling kind starting on the line: json-parse >
 * chrome-call > member-call > call > member-read.
 */

export const FRAME_SHAPES = [
  'none', // no culprit frame, or its file is not in the context or does not parse
  'json-parse', // JSON.parse(…) or res.json()
  'chrome-call', // a chrome.* / browser.* API call
  'member-call', // obj.method(…)
  'call', // f(…)
  'member-read', // obj.prop
  'other',
] as const;
export type FrameShape = (typeof FRAME_SHAPES)[number];

const RANK: Record<FrameShape, number> = {
  'json-parse': 6,
  'chrome-call': 5,
  'member-call': 4,
  call: 3,
  'member-read': 2,
  other: 1,
  none: 0,
};

function shapeOf(node: Node, parent: Node | undefined): FrameShape | null {
  if (isCall(node)) {
    const path = memberPath(node.callee);
    if (path?.join('.') === 'JSON.parse') return 'json-parse';
    if (path !== null && path[path.length - 1] === 'json' && node.arguments.length === 0)
      return 'json-parse';
    if (extensionApiCall(node) !== null) return 'chrome-call';
    const callee = node.callee;
    return callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression'
      ? 'member-call'
      : 'call';
  }
  if (node.type === 'MemberExpression' || node.type === 'OptionalMemberExpression') {
    if (parent !== undefined && isCall(parent) && parent.callee === node) return null; // the call counts
    return 'member-read';
  }
  return null;
}

export function frameShapeIn(
  file: ParsedSource,
  frame: Pick<ResolvedFrame, 'line' | 'column'>,
): FrameShape {
  const p = frame.column === null ? null : file.lines.offset(frame.line, frame.column);
  let best: FrameShape = 'other';
  let bestSize = Number.POSITIVE_INFINITY;
  walk(file.ast, (node, ancestors) => {
    const first = node.loc?.start.line ?? 0;
    const last = node.loc?.end.line ?? 0;
    if (first > frame.line || last < frame.line) return false;
    const shape = shapeOf(node, ancestors[ancestors.length - 1]);
    if (shape === null) return true;
    if (p !== null) {
      // At a known column, the innermost expression there is the one that failed.
      const size = end(node) - start(node);
      if (start(node) <= p && p < end(node) && size < bestSize) {
        best = shape;
        bestSize = size;
      }
    } else if (first === frame.line && RANK[shape] > RANK[best]) best = shape;
    return true;
  });
  return best;
}

/** The culprit's frame shape in a FixContext. */
export function frameShapeOf(ctx: FixContext): FrameShape {
  const frame = ctx.culprit;
  if (frame === null) return 'none';
  const file = ctx.files[frame.path];
  if (file === undefined) return 'none';
  const parsed = parseSource(frame.path, file.content);
  return parsed === null ? 'none' : frameShapeIn(parsed, frame);
}
