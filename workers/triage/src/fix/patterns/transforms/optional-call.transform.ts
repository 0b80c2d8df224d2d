import type { Node } from '@babel/types';
import { type AnyCall, isCall } from '../ast/chrome-api.ts';
import { frameSites, nodesAtFrame, SourceCache } from '../ast/frame-sites.ts';
import { normalizeExpression, sourceOf } from '../ast/source-edit.ts';
import { end } from '../ast/walk.ts';
import {
  type PatternTransform,
  planSites,
  type TransformInput,
  type TransformResult,
} from './transform.types.ts';

/**
 * `x.addListener is not a function` and kin → an optional call, `x.addListener?.(…)`, for an
 * API or method that some browsers or versions do not have (`chrome.sidePanel.setPanelBehavior`
 * before Chrome 116, `chrome.action` under MV2). V8 and Firefox name the callee's source text;
 * Safari adds `(In 'a.b()', 'a.b' is undefined)`. Only member callees are rewritten: a plain
 * function that is not there is a missing import or a typo, which an optional call would hide.
 */

const MAX_CALLEE = 300;

function apply({ ctx, captures }: TransformInput): TransformResult {
  const wanted = captures.callee;
  if (wanted === undefined || wanted.length === 0 || wanted.length > MAX_CALLEE) {
    return { ok: false, reason: 'bad_captures' };
  }
  const nullish = captures.nullish;
  if (nullish !== undefined && nullish !== 'undefined' && nullish !== 'null') {
    return { ok: false, reason: 'bad_captures' };
  }
  const callee = normalizeExpression(wanted);
  const cache = SourceCache.for(ctx);
  return planSites(frameSites(ctx, cache, 'culprit'), cache, (site) => {
    const fits = (node: Node): node is AnyCall =>
      isCall(node) &&
      (node.callee.type === 'MemberExpression' ||
        node.callee.type === 'OptionalMemberExpression') &&
      normalizeExpression(sourceOf(site.file, node.callee)) === callee;
    const target = nodesAtFrame(site, fits)[0];
    if (!target) return { refusal: 'no_target_node' };
    const call = target.node;
    if (call.type === 'OptionalCallExpression' && call.optional)
      return { refusal: 'already_guarded' };
    const parent = target.ancestors[target.ancestors.length - 1];
    if (parent?.type === 'TaggedTemplateExpression' || parent?.type === 'NewExpression') {
      return { refusal: 'unsafe_target' };
    }
    // `a.b?.(x)`, and `a.b?.<T>(x)` with type arguments.
    const at = end(call.callee);
    return { edits: [{ start: at, end: at, text: '?.' }] };
  });
}

export const optionalCallTransform: PatternTransform = {
  id: 'optional-call',
  summary:
    'Call the method only when it exists (an optional call), for an API that some browsers or versions lack.',
  apply,
};
