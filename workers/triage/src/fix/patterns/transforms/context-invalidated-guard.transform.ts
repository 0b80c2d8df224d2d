import type { Node } from '@babel/types';
import {
  type AnyCall,
  extensionApiCall,
  isCall,
  lastArgumentIsFunction,
} from '../ast/chrome-api.ts';
import { frameSites, nodesAtFrame, SourceCache } from '../ast/frame-sites.ts';
import { isTypeScriptPath, type ParsedSource } from '../ast/parse-source.ts';
import {
  lineIndentAt,
  newlineOf,
  normalizeExpression,
  sourceOf,
  type TextEdit,
} from '../ast/source-edit.ts';
import { allowsBareReturn, isFunction, start, walk } from '../ast/walk.ts';
import { planCatch, rethrowUnless } from './swallow-api-error.ts';
import {
  type PatternTransform,
  planSites,
  type SitePlan,
  type TransformInput,
  type TransformResult,
} from './transform.types.ts';

/**
 * `Extension context invalidated.` → in the content script, the `chrome.runtime`/`chrome.storage`
 * call at the frame is skipped when the extension is gone and its promise swallows only that
 * error (issue 9 item 4g). After an update or reload, content scripts of the old version keep
 * running in open tabs with no extension behind them: `chrome.runtime.id` is undefined there and
 * every API call throws (synchronously, or as a rejection for promise calls already on their way).
 *   if (!chrome.runtime?.id) return;                 // before the statement, in its function
 *   chrome.runtime.sendMessage(m).catch((error) => { // promise-style calls
 *     if (!String(error?.message ?? error).includes('Extension context invalidated')) throw error;
 *   });
 */

const PROMISE_RUNTIME = new Set([
  'sendMessage',
  'sendNativeMessage',
  'openOptionsPage',
  'getPlatformInfo',
  'requestUpdateCheck',
  'setUninstallURL',
  'getContexts',
  'getBackgroundPage',
]);
const PROMISE_STORAGE = new Set([
  'get',
  'set',
  'remove',
  'clear',
  'getBytesInUse',
  'getKeys',
  'setAccessLevel',
]);
const LISTENER = new Set(['addListener', 'removeListener', 'hasListener']);

type ApiKind = 'promise' | 'sync';

function apiKind(call: AnyCall): ApiKind | null {
  const api = extensionApiCall(call);
  if (api === null) return null;
  const [ns, a, b] = api.path;
  if (ns === 'runtime' && a !== undefined && b === undefined) {
    return PROMISE_RUNTIME.has(a) ? 'promise' : 'sync';
  }
  if (ns === 'storage' && a !== undefined && b !== undefined && api.path.length === 3) {
    if (LISTENER.has(b)) return null;
    return PROMISE_STORAGE.has(b) ? 'promise' : 'sync';
  }
  return null;
}

function isTarget(node: Node): node is AnyCall {
  return isCall(node) && apiKind(node) !== null;
}

/** The statement holding the call in a statement list of the call's own function, if any. */
function statementInFunction(
  call: Node,
  ancestors: readonly Node[],
): { statement: Node; fn: Node } | null {
  let child: Node = call;
  let statement: Node | null = null;
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const a = ancestors[i] as Node;
    if (isFunction(a)) return statement === null ? null : { statement, fn: a };
    if (
      statement === null &&
      (((a.type === 'BlockStatement' || a.type === 'StaticBlock') &&
        a.body.includes(child as never)) ||
        (a.type === 'SwitchCase' && a.consequent.includes(child as never)))
    ) {
      statement = child;
    }
    if (a.type === 'Program') return null;
    child = a;
  }
  return null;
}

/** An `if` testing `…runtime.id` before `statement` in `fn`: the early return is there. */
function hasIdCheck(file: ParsedSource, fn: Node, statement: Node): boolean {
  let found = false;
  walk(fn, (node) => {
    if (node !== fn && isFunction(node)) return false;
    if (
      node.type === 'IfStatement' &&
      start(node) < start(statement) &&
      normalizeExpression(sourceOf(file, node.test)).includes('runtime.id')
    ) {
      found = true;
    }
    return !found;
  });
  return found;
}

function apply({ ctx }: TransformInput): TransformResult {
  const cache = SourceCache.for(ctx);
  return planSites(frameSites(ctx, cache, 'all'), cache, (site): SitePlan => {
    const target = nodesAtFrame(site, isTarget)[0];
    if (!target) return { refusal: 'no_target_node' };
    const { node: call, ancestors } = target;
    const root = extensionApiCall(call)?.root ?? 'chrome';
    const edits: TextEdit[] = [];
    let guarded = 0;
    const place = statementInFunction(call, ancestors);
    const typescript = isTypeScriptPath(site.file.path);
    if (place !== null && allowsBareReturn(place.fn, site.file.text, typescript)) {
      if (hasIdCheck(site.file, place.fn, place.statement)) guarded++;
      else {
        const at = start(place.statement);
        const indent = lineIndentAt(site.file.text, at);
        const nl = newlineOf(site.file.text);
        edits.push({ start: at, end: at, text: `if (!${root}.runtime?.id) return;${nl}${indent}` });
      }
    }
    if (apiKind(call) === 'promise' && !lastArgumentIsFunction(call)) {
      // A storage read answers an items object; `{}` keeps `const { a } = await get('a')` working.
      const reads = /^storage\.\w+\.get$/.test(extensionApiCall(call)?.path.join('.') ?? '');
      const body = [
        rethrowUnless('Extension context invalidated'),
        // In TS, `{}` would join the items type as `{}` and break `const { a } = …`.
        ...(reads
          ? [
              isTypeScriptPath(site.file.path)
                ? 'return {} as Record<string, never>;'
                : 'return {};',
            ]
          : []),
      ];
      const plan = planCatch(site.file, call, ancestors, body, { undefinedResult: !reads });
      if ('edits' in plan) edits.push(...plan.edits);
      else if (plan.refusal === 'already_guarded') guarded++;
    }
    if (edits.length > 0) return { edits };
    return { refusal: guarded > 0 ? 'already_guarded' : 'no_target_node' };
  });
}

export const contextInvalidatedGuardTransform: PatternTransform = {
  id: 'context-invalidated-guard',
  summary:
    "Skip the extension API call when the extension context is gone (chrome.runtime.id unset) and swallow only 'Extension context invalidated' from its promise.",
  apply,
};
