import type { CallExpression, Node, OptionalCallExpression } from '@babel/types';
import { isFunction } from './walk.ts';

/**
 * Recognising `chrome.*` / `browser.*` API calls and the promise chains built on them, for the
 * transforms that handle a failed extension API call (issue 9 item 4, d–h).
 */

export type AnyCall = CallExpression | OptionalCallExpression;

export function isCall(node: Node): node is AnyCall {
  return node.type === 'CallExpression' || node.type === 'OptionalCallExpression';
}

function isMember(
  node: Node,
): node is Extract<Node, { type: 'MemberExpression' | 'OptionalMemberExpression' }> {
  return node.type === 'MemberExpression' || node.type === 'OptionalMemberExpression';
}

/**
 * The names of a non-computed member chain rooted at an identifier (`chrome.tabs.get` →
 * ['chrome', 'tabs', 'get']), looking through TS `!`, `as` and parentheses; null otherwise.
 */
export function memberPath(node: Node): string[] | null {
  const names: string[] = [];
  let cur: Node = node;
  for (;;) {
    if (cur.type === 'TSNonNullExpression' || cur.type === 'TSAsExpression') {
      cur = cur.expression;
      continue;
    }
    if (isMember(cur)) {
      if (cur.computed) {
        if (cur.property.type !== 'StringLiteral') return null;
        names.unshift(cur.property.value);
      } else if (cur.property.type === 'Identifier') names.unshift(cur.property.name);
      else return null;
      cur = cur.object;
      continue;
    }
    if (cur.type === 'Identifier') {
      names.unshift(cur.name);
      return names;
    }
    return null;
  }
}

const API_ROOTS = new Set(['chrome', 'browser']);

/** The API path without its root (`['tabs', 'get']`) and the root, for `chrome.*`/`browser.*`. */
export function extensionApiCall(call: AnyCall): { root: string; path: string[] } | null {
  const names = memberPath(call.callee);
  if (names === null || names.length < 2) return null;
  // `globalThis.chrome.x` / `self.chrome.x` name the same API.
  const offset = ['globalThis', 'self', 'window'].includes(names[0] as string) ? 1 : 0;
  const root = names[offset];
  if (root === undefined || !API_ROOTS.has(root)) return null;
  return { root, path: names.slice(offset + 1) };
}

export function lastArgumentIsFunction(call: AnyCall): boolean {
  const last = call.arguments[call.arguments.length - 1];
  return last !== undefined && isFunction(last);
}

export type ChainEnd =
  /** `parentIndex`: where the chain's parent is in the ancestors (-1: none). */
  { ok: true; node: Node; parentIndex: number } | { ok: false; reason: 'already_guarded' };

/**
 * The outermost `.then/.catch/.finally` call built on `call` (a `.catch` belongs at the end of
 * the chain so that the `.then` callbacks are not called with what the handler returned), or
 * `already_guarded` when the chain already handles rejections.
 */
export function promiseChainEnd(call: Node, ancestors: readonly Node[]): ChainEnd {
  let node: Node = call;
  let parentIndex = ancestors.length - 1;
  for (let i = ancestors.length - 1; i >= 1; i--) {
    const member = ancestors[i] as Node;
    const outer = ancestors[i - 1] as Node;
    if (
      !isMember(member) ||
      member.object !== node ||
      member.computed ||
      member.property.type !== 'Identifier' ||
      !isCall(outer) ||
      outer.callee !== member
    ) {
      break;
    }
    const name = member.property.name;
    if (name === 'catch' || (name === 'then' && outer.arguments.length >= 2)) {
      return { ok: false, reason: 'already_guarded' };
    }
    if (name !== 'then' && name !== 'finally') break;
    node = outer;
    parentIndex = i - 2;
    i--;
  }
  return { ok: true, node, parentIndex };
}
