import type { Node } from '@babel/types';
import { type AnyCall, extensionApiCall, isCall } from '../ast/chrome-api.ts';
import { frameSites, nodesAtFrame, SourceCache } from '../ast/frame-sites.ts';
import { outerRange } from '../ast/source-edit.ts';
import { isFunction, walk } from '../ast/walk.ts';
import { planCatch } from './swallow-api-error.ts';
import {
  type PatternTransform,
  planSites,
  type TransformInput,
  type TransformResult,
} from './transform.types.ts';

/**
 * Storage quota (`QUOTA_BYTES_PER_ITEM quota exceeded`, `Resource::kQuotaBytesPerItem quota
 * exceeded`, `QUOTA_BYTES quota exceeded`) → `chrome.storage.sync.set(x)` falls back to
 * `chrome.storage.local.set(x)` when sync refuses the write for its size quota, and only then
 * (issue 9 item 4f). sync's quotas are 8 KB per item and 100 KB in all; local's are 10 MB. Other
 * sync failures (MAX_WRITE_OPERATIONS_PER_MINUTE, an invalid value) still reject.
 */

export const QUOTA_NAMES = new Set([
  'QUOTA_BYTES_PER_ITEM',
  'QUOTA_BYTES',
  'Resource::kQuotaBytesPerItem',
  'Resource::kQuotaBytes',
]);

function isSyncSet(node: Node): node is AnyCall {
  if (!isCall(node)) return false;
  const api = extensionApiCall(node);
  return api !== null && api.path.join('.') === 'storage.sync.set' && node.arguments.length === 1;
}

/** The items expression is written twice: only when evaluating it again has no effect. */
function isPure(node: Node): boolean {
  let pure = true;
  walk(node, (n) => {
    if (isFunction(n)) return false;
    switch (n.type) {
      case 'CallExpression':
      case 'OptionalCallExpression':
      case 'NewExpression':
      case 'AssignmentExpression':
      case 'UpdateExpression':
      case 'AwaitExpression':
      case 'YieldExpression':
      case 'TaggedTemplateExpression':
        pure = false;
    }
    return pure;
  });
  return pure;
}

function apply({ ctx, captures }: TransformInput): TransformResult {
  if (captures.quota !== undefined && !QUOTA_NAMES.has(captures.quota)) {
    return { ok: false, reason: 'bad_captures' };
  }
  const cache = SourceCache.for(ctx);
  return planSites(frameSites(ctx, cache, 'all'), cache, (site) => {
    const target = nodesAtFrame(site, isSyncSet)[0];
    if (!target) return { refusal: 'no_target_node' };
    const call = target.node;
    const items = call.arguments[0] as Node;
    if (items.type === 'SpreadElement' || !isPure(items)) return { refusal: 'unsafe_target' };
    const root = extensionApiCall(call)?.root ?? 'chrome';
    const range = outerRange(site.file, items);
    const text = site.file.text.slice(range.start, range.end);
    return planCatch(
      site.file,
      call,
      target.ancestors,
      [
        'if (!/QUOTA_BYTES|kQuotaBytes/.test(String(error?.message ?? error))) throw error;',
        `return ${root}.storage.local.set(${text});`,
      ],
      { at: 'call' },
    );
  });
}

export const storageQuotaFallbackTransform: PatternTransform = {
  id: 'storage-quota-fallback',
  summary:
    'Fall back to chrome.storage.local when chrome.storage.sync refuses the write for its size quota, rethrowing any other error.',
  apply,
};
