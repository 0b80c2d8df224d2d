import type { Node } from '@babel/types';
import { type AnyCall, extensionApiCall, isCall } from '../ast/chrome-api.ts';
import { frameSites, nodesAtFrame, SourceCache } from '../ast/frame-sites.ts';
import { isTypeScriptPath, type ParsedSource } from '../ast/parse-source.ts';
import {
  indentUnit,
  lineIndentAt,
  newlineOf,
  outerRange,
  type TextEdit,
} from '../ast/source-edit.ts';
import { allowsBareReturn, type FunctionNode, isFunction, start, walk } from '../ast/walk.ts';
import {
  type PatternTransform,
  planSites,
  type TransformInput,
  type TransformResult,
} from './transform.types.ts';

/**
 * `Unchecked runtime.lastError: …` → the callback of the `chrome.*` call at the frame reads
 * `chrome.runtime.lastError` first and returns (issue 9 item 4c). Chrome logs the message when a
 * callback-style call failed and its callback never read `lastError`; reading it is what marks it
 * checked, and returning keeps the callback from using the missing result.
 */

const LISTENER_METHODS = new Set(['addListener', 'removeListener', 'hasListener']);

function isCallbackCall(node: Node): node is AnyCall {
  if (!isCall(node)) return false;
  const api = extensionApiCall(node);
  if (api === null || LISTENER_METHODS.has(api.path[api.path.length - 1] ?? '')) return false;
  const last = node.arguments[node.arguments.length - 1];
  return last !== undefined && isFunction(last);
}

function readsLastError(fn: Node): boolean {
  let found = false;
  walk(fn, (node) => {
    if (
      (node.type === 'MemberExpression' || node.type === 'OptionalMemberExpression') &&
      !node.computed &&
      node.property.type === 'Identifier' &&
      node.property.name === 'lastError'
    ) {
      found = true;
    }
    return !found;
  });
  return found;
}

function checkEdit(file: ParsedSource, fn: FunctionNode, check: string): TextEdit {
  const unit = indentUnit(file.text);
  const nl = newlineOf(file.text);
  const base = lineIndentAt(file.text, start(fn));
  const body = fn.body;
  if (body.type === 'BlockStatement') {
    const first = body.body[0] ?? body.directives[0];
    if (first === undefined) {
      const range = outerRange(file, body);
      return {
        start: range.start,
        end: range.end,
        text: ['{', `${base}${unit}${check}`, `${base}}`].join(nl),
      };
    }
    const firstIndent = lineIndentAt(file.text, start(first));
    const ownLine = file.lines.lineOf(start(first)) !== file.lines.lineOf(start(body));
    const indent = ownLine ? firstIndent : base + unit;
    const at = (body.start ?? 0) + 1;
    return { start: at, end: at, text: `${nl}${indent}${check}${ownLine ? '' : nl + indent}` };
  }
  // A concise arrow body becomes a block that returns what it returned.
  const range = outerRange(file, body);
  const expr = file.text.slice(range.start, range.end);
  return {
    start: range.start,
    end: range.end,
    text: ['{', `${base}${unit}${check}`, `${base}${unit}return ${expr};`, `${base}}`].join(nl),
  };
}

function apply({ ctx }: TransformInput): TransformResult {
  const cache = SourceCache.for(ctx);
  return planSites(frameSites(ctx, cache, 'all'), cache, (site) => {
    const target = nodesAtFrame(site, isCallbackCall)[0];
    if (!target) return { refusal: 'no_target_node' };
    const call = target.node;
    const callback = call.arguments[call.arguments.length - 1] as FunctionNode;
    if (readsLastError(callback)) return { refusal: 'already_guarded' };
    if (!allowsBareReturn(callback, site.file.text, isTypeScriptPath(site.file.path))) {
      return { refusal: 'unsafe_target' };
    }
    const root = extensionApiCall(call)?.root ?? 'chrome';
    return { edits: [checkEdit(site.file, callback, `if (${root}.runtime.lastError) return;`)] };
  });
}

export const lastErrorCheckTransform: PatternTransform = {
  id: 'last-error-check',
  summary:
    'Check chrome.runtime.lastError first in the callback of the failing chrome.* call and return when it is set.',
  apply,
};
