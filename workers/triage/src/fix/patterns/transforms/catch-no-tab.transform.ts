import { swallowApiError } from './swallow-api-error.ts';
import type { PatternTransform } from './transform.types.ts';

/**
 * `No tab with id: N.` → the tab call at each frame swallows only that error (issue 9 item 4e).
 * Tabs close between an event and the call that uses their id; the id is stale, not wrong.
 */

/** The calls that take a tab id and fail with "No tab with id" when it is gone. */
function takesTabId(path: readonly string[]): boolean {
  const [ns, method] = path;
  if (path.length !== 2 || method === undefined) return false;
  switch (ns) {
    case 'tabs':
      return !['query', 'create', 'getCurrent', 'connect'].includes(method);
    case 'scripting':
      return ['executeScript', 'insertCSS', 'removeCSS'].includes(method);
    case 'action':
    case 'browserAction':
    case 'pageAction':
      return (
        method.startsWith('set') ||
        method.startsWith('get') ||
        method === 'enable' ||
        method === 'disable'
      );
    case 'sidePanel':
      return method === 'open' || method === 'setOptions';
    case 'tabGroups':
      return method === 'get' || method === 'update';
    default:
      return false;
  }
}

export const catchNoTabTransform: PatternTransform = {
  id: 'catch-no-tab',
  summary:
    "Swallow only 'No tab with id' from the tab call (the tab was closed), rethrowing any other error.",
  apply: (input) => swallowApiError(input, takesTabId, 'No tab with id'),
};
