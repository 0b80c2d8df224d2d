import type { Node } from '@babel/types';
import {
  type AnyCall,
  extensionApiCall,
  isCall,
  lastArgumentIsFunction,
  promiseChainEnd,
} from '../ast/chrome-api.ts';
import { frameSites, nodesAtFrame, SourceCache } from '../ast/frame-sites.ts';
import { isTypeScriptPath, type ParsedSource } from '../ast/parse-source.ts';
import { indentUnit, lineIndentAt, newlineOf, type TextEdit } from '../ast/source-edit.ts';
import {
  allowsBareReturn,
  enclosingFunctionIndex,
  end,
  isFunction,
  start,
  walk,
} from '../ast/walk.ts';
import {
  planSites,
  type SitePlan,
  type TransformInput,
  type TransformResult,
} from './transform.types.ts';

/**
 * The shared shape of the transforms for a promise-style `chrome.*` call that rejects with a
 * known, expected error (issue 9 item 4d/e): the call at each frame gets
 *   .catch((error) => { if (!String(error?.message ?? error).includes('<expected>')) throw error; })
 * at the end of its `.then` chain — only that error is swallowed, anything else still rejects.
 * Chrome gives these errors no frames (docs/architecture.md#chrome-field-notes), so the localizer
 * points the frames at the candidate call sites and every one of them is fixed.
 */

/** `error` handler lines; `expected` is Homeostat's constant text, never event text. */
export function rethrowUnless(expected: string): string {
  if (/['\\\n]/.test(expected)) throw new Error('expected text must be a plain constant');
  return `if (!String(error?.message ?? error).includes('${expected}')) throw error;`;
}

/** `.catch((error) => {<body>})` after `node`, indented from the line where the chain ends. */
export function catchEdit(parsed: ParsedSource, node: Node, body: readonly string[]): TextEdit {
  const at = end(node);
  const indent = lineIndentAt(parsed.text, at);
  const unit = indentUnit(parsed.text);
  const nl = newlineOf(parsed.text);
  const lines = ['.catch((error) => {', ...body.map((l) => unit + l), '})'];
  return { start: at, end: at, text: lines.map((l, i) => (i === 0 ? l : indent + l)).join(nl) };
}

export interface CatchOptions {
  /**
   * 'chain': after the whole `.then` chain (the `.then` callbacks never see the handler's
   * undefined); 'call': right after the call, when the handler recovers with a real result.
   */
  at?: 'chain' | 'call';
  /**
   * Whether the handler leaves the result undefined: then `const x = await call()` followed by a
   * plain `x.prop` read gets `if (x === undefined) return;`, or the swallowed error would come
   * back one line later as "Cannot read properties of undefined".
   */
  undefinedResult?: boolean;
}

/**
 * `if (x === undefined) return;` after `const x = await <chain>` when the same function then
 * reads `x.prop` without optional chaining.
 */
function bindingGuard(
  file: ParsedSource,
  chain: Node,
  ancestors: readonly Node[],
  parentIndex: number,
): TextEdit | null {
  const awaited = ancestors[parentIndex];
  const declarator = ancestors[parentIndex - 1];
  const declaration = ancestors[parentIndex - 2];
  const list = ancestors[parentIndex - 3];
  if (
    awaited?.type !== 'AwaitExpression' ||
    awaited.argument !== chain ||
    declarator?.type !== 'VariableDeclarator' ||
    declarator.init !== awaited ||
    declarator.id.type !== 'Identifier' ||
    declaration?.type !== 'VariableDeclaration' ||
    list === undefined ||
    !(
      (list.type === 'BlockStatement' && list.body.includes(declaration)) ||
      (list.type === 'SwitchCase' && list.consequent.includes(declaration))
    ) ||
    !ancestors.slice(0, parentIndex - 3).some(isFunction)
  ) {
    return null;
  }
  const fnIndex = enclosingFunctionIndex(ancestors.slice(0, parentIndex - 3));
  const fn = ancestors[fnIndex];
  if (fn === undefined || !allowsBareReturn(fn, file.text, isTypeScriptPath(file.path)))
    return null;
  const name = declarator.id.name;
  let plainRead = false;
  walk(list, (node) => {
    if (plainRead || start(node) < end(declaration))
      return !plainRead && end(node) > end(declaration);
    if (isFunction(node)) return false;
    if (
      node.type === 'MemberExpression' &&
      node.object.type === 'Identifier' &&
      node.object.name === name
    ) {
      plainRead = true;
    }
    return !plainRead;
  });
  if (!plainRead) return null;
  const at = end(declaration);
  const nl = newlineOf(file.text);
  return {
    start: at,
    end: at,
    text: `${nl}${lineIndentAt(file.text, start(declaration))}if (${name} === undefined) return;`,
  };
}

/** Plans the catch for the promise-style API call at a site, or says why not. */
export function planCatch(
  file: ParsedSource,
  call: AnyCall,
  ancestors: readonly Node[],
  body: readonly string[],
  options: CatchOptions = {},
): SitePlan {
  // A callback-style call reports through runtime.lastError, not a rejection.
  if (lastArgumentIsFunction(call)) return { refusal: 'no_target_node' };
  const chain = promiseChainEnd(call, ancestors);
  if (!chain.ok) return { refusal: chain.reason };
  const at = options.at ?? 'chain';
  const edits = [catchEdit(file, at === 'chain' ? chain.node : call, body)];
  if (at === 'chain' && (options.undefinedResult ?? true)) {
    const guard = bindingGuard(file, chain.node, ancestors, chain.parentIndex);
    if (guard) edits.push(guard);
  }
  return { edits };
}

export function swallowApiError(
  { ctx }: TransformInput,
  isApi: (path: readonly string[]) => boolean,
  expected: string,
): TransformResult {
  const body = [rethrowUnless(expected)];
  const cache = SourceCache.for(ctx);
  const test = (node: Node): node is AnyCall => {
    if (!isCall(node)) return false;
    const api = extensionApiCall(node);
    return api !== null && isApi(api.path);
  };
  return planSites(frameSites(ctx, cache, 'all'), cache, (site) => {
    const target = nodesAtFrame(site, test)[0];
    if (!target) return { refusal: 'no_target_node' };
    return planCatch(site.file, target.node, target.ancestors, body);
  });
}
