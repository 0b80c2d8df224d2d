import type { Node } from '@babel/types';
import { type AnyCall, isCall, memberPath } from '../ast/chrome-api.ts';
import { frameSites, nodesAtFrame, SourceCache } from '../ast/frame-sites.ts';
import type { ParsedSource } from '../ast/parse-source.ts';
import {
  indentUnit,
  lineIndentAt,
  newlineOf,
  sourceOf,
  type TextEdit,
} from '../ast/source-edit.ts';
import { end, isFunction, start, walk } from '../ast/walk.ts';
import {
  type PatternTransform,
  planSites,
  type TransformInput,
  type TransformResult,
} from './transform.types.ts';

/**
 * `JSON.parse` of a non-JSON answer (an HTML error page, an empty body) → the parse at the frame
 * yields null instead of throwing (issue 9 item 4b):
 *   JSON.parse(text)   → (() => { try { return JSON.parse(text); } catch { return null; } })()
 *   await res.json()   → await res.json().catch(() => null)
 * Callers already handle "no data" far more often than they handle a throw, and a null is what
 * a failed fetch gives them elsewhere. A parse whose argument awaits or yields is wrapped with the
 * argument outside the arrow (`((text) => …)(await res.text())`), where `await` stays legal.
 */

function kind(call: AnyCall): 'parse' | 'json' | null {
  const path = memberPath(call.callee);
  if (path?.length === 2 && path[0] === 'JSON' && path[1] === 'parse') return 'parse';
  const callee = call.callee;
  if (
    (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') &&
    !callee.computed &&
    callee.property.type === 'Identifier' &&
    callee.property.name === 'json' &&
    call.arguments.length === 0
  ) {
    return 'json';
  }
  return null;
}

function isTarget(node: Node): node is AnyCall {
  return isCall(node) && kind(node) !== null;
}

/** Inside the `try` block of a try/catch of the same function: the throw is handled already. */
function insideTry(node: Node, ancestors: readonly Node[]): boolean {
  let child: Node = node;
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const a = ancestors[i] as Node;
    if (isFunction(a)) return false;
    if (a.type === 'TryStatement' && a.block === child && a.handler) return true;
    child = a;
  }
  return false;
}

function handledByCatch(call: Node, ancestors: readonly Node[]): boolean {
  const member = ancestors[ancestors.length - 1];
  const outer = ancestors[ancestors.length - 2];
  return (
    member !== undefined &&
    outer !== undefined &&
    (member.type === 'MemberExpression' || member.type === 'OptionalMemberExpression') &&
    member.object === call &&
    !member.computed &&
    member.property.type === 'Identifier' &&
    member.property.name === 'catch' &&
    isCall(outer) &&
    outer.callee === member
  );
}

/** `await`/`yield` in the arguments, outside nested functions. */
function argumentsSuspend(call: AnyCall): boolean {
  let found = false;
  for (const arg of call.arguments) {
    walk(arg, (node) => {
      if (isFunction(node)) return false;
      if (node.type === 'AwaitExpression' || node.type === 'YieldExpression') found = true;
      return !found;
    });
  }
  return found;
}

function parseEdit(file: ParsedSource, call: AnyCall): TextEdit | null {
  const indent = lineIndentAt(file.text, start(call));
  const unit = indentUnit(file.text);
  const nl = newlineOf(file.text);
  const lines = (head: string, parse: string, tail: string) =>
    [
      head,
      `${unit}try {`,
      `${unit}${unit}return ${parse};`,
      `${unit}} catch {`,
      `${unit}${unit}return null;`,
      `${unit}}`,
      tail,
    ]
      .map((l, i) => (i === 0 ? l : indent + l))
      .join(nl);
  if (!argumentsSuspend(call)) {
    return {
      start: start(call),
      end: end(call),
      text: lines('(() => {', sourceOf(file, call), '})()'),
    };
  }
  if (call.arguments.length !== 1) return null;
  const arg = call.arguments[0] as Node;
  if (arg.type === 'SpreadElement') return null;
  const parse = `${sourceOf(file, call.callee)}(text)`;
  return {
    start: start(call),
    end: end(call),
    text: lines('((text) => {', parse, `})(${sourceOf(file, arg)})`),
  };
}

function apply({ ctx }: TransformInput): TransformResult {
  const cache = SourceCache.for(ctx);
  return planSites(
    frameSites(ctx, cache, 'all'),
    cache,
    (site) => {
      const target = nodesAtFrame(site, isTarget)[0];
      if (!target) return { refusal: 'no_target_node' };
      const call = target.node;
      if (kind(call) === 'json') {
        if (handledByCatch(call, target.ancestors) || insideTry(call, target.ancestors)) {
          return { refusal: 'already_guarded' };
        }
        const at = end(call);
        return { edits: [{ start: at, end: at, text: '.catch(() => null)' }] };
      }
      if (insideTry(call, target.ancestors)) return { refusal: 'already_guarded' };
      const edit = parseEdit(site.file, call);
      return edit ? { edits: [edit] } : { refusal: 'unsafe_target' };
    },
    // The innermost frame holding a parse is where the bad input arrived; outer frames only
    // called it.
    { firstOnly: true },
  );
}

export const jsonParseGuardTransform: PatternTransform = {
  id: 'json-parse-guard',
  summary:
    'Make the JSON parse at the failing line yield null for a non-JSON answer instead of throwing.',
  apply,
};
