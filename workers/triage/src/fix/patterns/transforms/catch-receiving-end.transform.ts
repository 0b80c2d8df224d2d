import { swallowApiError } from './swallow-api-error.ts';
import type { PatternTransform } from './transform.types.ts';

/**
 * `Could not establish connection. Receiving end does not exist.` → the message send at each
 * frame swallows only that error (issue 9 item 4d). It means nobody listens on the other side
 * (the tab has no content script yet, the popup is closed): an expected state, not a bug, for a
 * fire-and-forget message; any other failure still rejects.
 */
export const catchReceivingEndTransform: PatternTransform = {
  id: 'catch-receiving-end',
  summary:
    "Swallow only 'Receiving end does not exist' from the message send (nobody was listening), rethrowing any other error.",
  apply: (input) =>
    swallowApiError(
      input,
      (path) =>
        path.length === 2 &&
        (path[0] === 'runtime' || path[0] === 'tabs') &&
        path[1] === 'sendMessage',
      'Receiving end does not exist',
    ),
};
