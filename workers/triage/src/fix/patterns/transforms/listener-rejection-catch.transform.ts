import type { Node } from '@babel/types';
import { isCall, promiseChainEnd } from '../ast/chrome-api.ts';
import { type FrameSite, frameSites, SourceCache } from '../ast/frame-sites.ts';
import type { ParsedSource } from '../ast/parse-source.ts';
import { indentUnit, lineIndentAt, newlineOf, type TextEdit } from '../ast/source-edit.ts';
import { end, type FunctionNode, isFunction, start, type Visit, walk } from '../ast/walk.ts';
import { catchEdit } from './swallow-api-error.ts';
import {
  finish,
  type PatternTransform,
  type TransformInput,
  type TransformRefusal,
  type TransformResult,
} from './transform.types.ts';

/**
 * An unhandled promise rejection from an event listener (a function passed to
 * `chrome.*.on*.addListener`, or `port.onMessage.addListener`) → the promise the listener leaves
 * floating is handled: its chain gets `.catch((error) => { console.error(error); })`, or an async
 * listener's body runs inside try/catch that does the same (issue 9 item 4h). Chrome ignores what
 * a listener returns, so nothing else would ever handle that promise; console.error keeps the
 * failure visible in the extension's own logs.
 *
 * Which promise, from the frames:
 *   - a frame in an async listener → its body goes in try/catch;
 *   - a frame in a `.then` callback inside a listener → the chain gets the catch;
 *   - a frame in an async function F (or any function, when the SDK said `onunhandledrejection`)
 *     that no listener encloses → every floating `F(…)` call inside a listener, in any editable
 *     context file, gets the catch;
 *   - a frame on a floating call in a plain listener, when the SDK said `onunhandledrejection`.
 * With no mechanism, only the async structure counts: a throw in an async function is a
 * rejection by construction. With another mechanism (`onerror`…) this transform does not apply.
 */

const REPORT = ['console.error(error);'];

function isAddListener(node: Node): node is Extract<Node, { type: 'CallExpression' }> {
  if (node.type !== 'CallExpression') return false;
  const callee = node.callee;
  if (callee.type !== 'MemberExpression' && callee.type !== 'OptionalMemberExpression')
    return false;
  if (
    callee.computed ||
    callee.property.type !== 'Identifier' ||
    callee.property.name !== 'addListener'
  ) {
    return false;
  }
  const event = callee.object;
  return (
    (event.type === 'MemberExpression' || event.type === 'OptionalMemberExpression') &&
    !event.computed &&
    event.property.type === 'Identifier' &&
    /^on[A-Z]/.test(event.property.name)
  );
}

/** The name a function is called by: its own, its variable's, its key's. */
function functionName(fn: Node, parent: Node | undefined): string | null {
  if ((fn.type === 'FunctionDeclaration' || fn.type === 'FunctionExpression') && fn.id)
    return fn.id.name;
  if (
    (fn.type === 'ObjectMethod' || fn.type === 'ClassMethod') &&
    !fn.computed &&
    fn.key.type === 'Identifier'
  ) {
    return fn.key.name;
  }
  if (
    parent?.type === 'VariableDeclarator' &&
    parent.init === fn &&
    parent.id.type === 'Identifier'
  ) {
    return parent.id.name;
  }
  if (
    parent?.type === 'ObjectProperty' &&
    parent.value === fn &&
    !parent.computed &&
    parent.key.type === 'Identifier'
  ) {
    return parent.key.name;
  }
  if (
    parent?.type === 'ClassProperty' &&
    parent.value === fn &&
    !parent.computed &&
    parent.key.type === 'Identifier'
  ) {
    return parent.key.name;
  }
  if (
    parent?.type === 'AssignmentExpression' &&
    parent.right === fn &&
    (parent.left.type === 'MemberExpression' || parent.left.type === 'Identifier')
  ) {
    if (parent.left.type === 'Identifier') return parent.left.name;
    if (!parent.left.computed && parent.left.property.type === 'Identifier')
      return parent.left.property.name;
  }
  return null;
}

/** The functions registered as event listeners in a file (inline, or named in the same file). */
function listenersOf(file: ParsedSource): Set<Node> {
  const named = new Map<string, Node>();
  const registered: Node[] = [];
  walk(file.ast, (node, ancestors) => {
    if (isFunction(node)) {
      const name = functionName(node, ancestors[ancestors.length - 1]);
      if (name !== null && !named.has(name)) named.set(name, node);
    }
    if (isAddListener(node)) {
      const first = node.arguments[0];
      if (first !== undefined) registered.push(first);
    }
    return true;
  });
  const out = new Set<Node>();
  for (const arg of registered) {
    if (isFunction(arg)) out.add(arg);
    else if (arg.type === 'Identifier') {
      const fn = named.get(arg.name);
      if (fn) out.add(fn);
    }
  }
  return out;
}

/** The frame's position: its column, else the first character of its line. */
function framePosition(site: FrameSite): number {
  const { file, frame } = site;
  if (frame.column !== null) return file.lines.offset(frame.line, frame.column);
  let at = file.lines.lineStart(frame.line);
  const stop = file.lines.lineEnd(frame.line);
  while (at < stop && /\s/.test(file.text[at] ?? '')) at++;
  return at;
}

/** The functions containing `p`, outermost first, with their ancestors. */
function functionsAt(file: ParsedSource, p: number): Visit<FunctionNode>[] {
  const out: Visit<FunctionNode>[] = [];
  walk(file.ast, (node, ancestors) => {
    if (start(node) > p || end(node) <= p) return false;
    if (isFunction(node)) out.push({ node, ancestors: [...ancestors] });
    return true;
  });
  return out;
}

/** `.catch` for the floating promise `expr` (a call chain), or why not. */
function floatingCatch(
  file: ParsedSource,
  expr: Node,
  ancestors: readonly Node[],
): TextEdit | TransformRefusal {
  let call = expr;
  if (call.type === 'AwaitExpression') return 'no_target_node';
  if (!isCall(call)) return 'no_target_node';
  // Climb to the whole chain (`f().then(g)`) and refuse a chain that handles rejections.
  let innermost: Node = call;
  const chainAncestors = [...ancestors];
  for (;;) {
    const callee: Node = (innermost as Extract<Node, { type: 'CallExpression' }>).callee;
    if (
      (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') &&
      !callee.computed &&
      callee.property.type === 'Identifier' &&
      ['then', 'catch', 'finally'].includes(callee.property.name) &&
      isCall(callee.object)
    ) {
      chainAncestors.push(innermost, callee);
      innermost = callee.object;
      continue;
    }
    break;
  }
  const chain = promiseChainEnd(innermost, chainAncestors);
  if (!chain.ok) return 'already_guarded';
  call = chain.node;
  return catchEdit(file, call, REPORT);
}

/** Wrap a block body's statements in try { … } catch (error) { console.error(error); }. */
function wrapBody(file: ParsedSource, fn: FunctionNode): TextEdit | TransformRefusal {
  const body = fn.body;
  if (body.type !== 'BlockStatement') {
    return floatingCatch(file, body, []);
  }
  const only = body.body[0];
  if (body.body.length === 1 && only?.type === 'TryStatement' && only.handler)
    return 'already_guarded';
  if (body.body.length === 0) return 'no_target_node';
  const unit = indentUnit(file.text);
  const nl = newlineOf(file.text);
  const base = lineIndentAt(file.text, start(body));
  // Lines that start inside a multi-line template literal are string content: never re-indented.
  const frozen: [number, number][] = [];
  walk(body, (node) => {
    if (node.type === 'TemplateElement' || node.type === 'StringLiteral')
      frozen.push([start(node), end(node)]);
    return true;
  });
  const from = start(body) + 1;
  const to = end(body) - 1;
  const inner = file.text.slice(from, to);
  const lines: string[] = [];
  let offset = from;
  for (const raw of inner.split('\n')) {
    const lineStart = offset;
    offset += raw.length + 1;
    const line = raw.replace(/\r$/, '');
    if (frozen.some(([s, e]) => s < lineStart && lineStart < e)) {
      lines.push(line);
      continue;
    }
    const text = line.trimEnd();
    // A body written on the `{` line moves to a line of its own.
    if (lineStart === from) {
      if (text.trim() !== '') lines.push(`${base}${unit}${unit}${text.trimStart()}`);
      continue;
    }
    lines.push(text === '' ? '' : unit + text);
  }
  while (lines[lines.length - 1] === '') lines.pop();
  while (lines[0] === '') lines.shift();
  const out = [
    '{',
    `${base}${unit}try {`,
    ...lines,
    `${base}${unit}} catch (error) {`,
    `${base}${unit}${unit}console.error(error);`,
    `${base}${unit}}`,
    `${base}}`,
  ];
  return { start: start(body), end: end(body), text: out.join(nl) };
}

/** The floating call statement of `listener` at `p` (not crossing nested functions). */
function floatingStatementAt(listener: FunctionNode, p: number, line: number): Visit<Node> | null {
  let best: Visit<Node> | null = null;
  walk(listener.body, (node, ancestors) => {
    if (isFunction(node)) return false;
    if (node.type === 'ExpressionStatement') {
      const contains = start(node) <= p && p < end(node);
      const onLine = node.loc?.start.line === line;
      if (contains || onLine) {
        const expr =
          node.expression.type === 'UnaryExpression' && node.expression.operator === 'void'
            ? node.expression.argument
            : node.expression;
        best = { node: expr, ancestors: [...ancestors, node] };
      }
    }
    return true;
  });
  return best;
}

/** Floating calls of `name` inside the listeners of `file`. */
function floatingCallsOf(file: ParsedSource, name: string): Visit<Node>[] {
  const listeners = listenersOf(file);
  const out: Visit<Node>[] = [];
  walk(file.ast, (node, ancestors) => {
    if (!isCall(node)) return true;
    const callee = node.callee;
    const called =
      (callee.type === 'Identifier' && callee.name === name) ||
      ((callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') &&
        !callee.computed &&
        callee.property.type === 'Identifier' &&
        callee.property.name === name);
    if (!called || !ancestors.some((a) => listeners.has(a))) return true;
    // Floating: a statement of its own (possibly `void f()`), or a concise arrow body.
    let i = ancestors.length - 1;
    let top: Node = node;
    for (; i >= 1; i--) {
      const member = ancestors[i] as Node;
      const outer = ancestors[i - 1] as Node;
      if (
        (member.type === 'MemberExpression' || member.type === 'OptionalMemberExpression') &&
        member.object === top &&
        isCall(outer) &&
        outer.callee === member
      ) {
        top = outer;
        i--;
      } else break;
    }
    const parent = ancestors[i];
    const floating =
      parent?.type === 'ExpressionStatement' ||
      (parent?.type === 'UnaryExpression' && parent.operator === 'void') ||
      (parent?.type === 'ArrowFunctionExpression' && parent.body === top);
    if (floating) out.push({ node, ancestors: [...ancestors] });
    return true;
  });
  return out;
}

function apply({ ctx }: TransformInput): TransformResult {
  const mechanism = ctx.event.mechanism ?? null;
  if (mechanism !== null && mechanism !== 'onunhandledrejection') {
    return { ok: false, reason: 'not_applicable' };
  }
  const saidRejection = mechanism === 'onunhandledrejection';
  const cache = SourceCache.for(ctx);
  const sites = frameSites(ctx, cache, 'all');
  if (sites.sites.length === 0)
    return { ok: false, reason: sites.parseFailed ? 'parse_failed' : 'no_source' };
  const edits = new Map<string, TextEdit[]>();
  const refusals = new Set<TransformRefusal>();
  const add = (file: ParsedSource, edit: TextEdit | TransformRefusal) => {
    if (typeof edit === 'string') refusals.add(edit);
    else edits.set(file.path, [...(edits.get(file.path) ?? []), edit]);
  };
  for (const site of sites.sites) {
    const file = site.file;
    const p = framePosition(site);
    const fns = functionsAt(file, p);
    const innermost = fns[fns.length - 1];
    if (!innermost) {
      refusals.add('no_target_node');
      continue;
    }
    const listeners = listenersOf(file);
    const listenerIndex = fns.findLastIndex((f) => listeners.has(f.node));
    const listener = fns[listenerIndex];
    if (listener) {
      if (innermost === listener) {
        if (listener.node.async) add(file, wrapBody(file, listener.node));
        else if (saidRejection) {
          const floating = floatingStatementAt(listener.node, p, site.frame.line);
          add(
            file,
            floating ? floatingCatch(file, floating.node, floating.ancestors) : 'no_target_node',
          );
        } else refusals.add('no_target_node');
        continue;
      }
      // A callback inside the listener: a `.then` callback's chain, or an async callback.
      const parent = innermost.ancestors[innermost.ancestors.length - 1];
      if (
        parent !== undefined &&
        isCall(parent) &&
        (parent.callee.type === 'MemberExpression' ||
          parent.callee.type === 'OptionalMemberExpression') &&
        !parent.callee.computed &&
        parent.callee.property.type === 'Identifier' &&
        ['then', 'finally'].includes(parent.callee.property.name)
      ) {
        const chain = promiseChainEnd(parent, innermost.ancestors.slice(0, -1));
        add(file, chain.ok ? catchEdit(file, chain.node, REPORT) : chain.reason);
      } else if (innermost.node.async) add(file, wrapBody(file, innermost.node));
      else refusals.add('no_target_node');
      continue;
    }
    // No listener encloses the frame: the listener calls this function and drops its promise.
    if (!innermost.node.async && !saidRejection) {
      refusals.add('no_target_node');
      continue;
    }
    const name = functionName(innermost.node, innermost.ancestors[innermost.ancestors.length - 1]);
    if (name === null) {
      refusals.add('no_target_node');
      continue;
    }
    let calls = 0;
    for (const other of cache.all()) {
      for (const call of floatingCallsOf(other, name)) {
        calls++;
        add(other, floatingCatch(other, call.node, call.ancestors));
      }
    }
    if (calls === 0) refusals.add('no_target_node');
  }
  return finish(edits, cache, refusals);
}

export const listenerRejectionCatchTransform: PatternTransform = {
  id: 'listener-rejection-catch',
  summary:
    'Handle the promise an extension event listener left floating, logging its rejection with console.error instead of leaving it unhandled.',
  apply,
};
