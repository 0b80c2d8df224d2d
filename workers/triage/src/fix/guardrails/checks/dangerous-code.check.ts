import type { FileReview } from '../file-review.ts';
import type { GuardrailRejection } from '../guardrails.ts';
import { type DangerKind, scanCodeText, scanHtml } from '../script-scan.ts';

/**
 * No added code that runs strings or remote code, injects markup, or opens a new way out
 * (docs/architecture.md#guardrails: no `eval`, `new Function`, `importScripts`, remote `import()`,
 * remote `<script>`, `executeScript` with code strings; research ai-autofix.md §8 T3). Decided on
 * the syntax tree, so spelling (`(0, eval)`, `window['eval']`, `globalThis.eval`) does not matter,
 * by comparing how many of each kind the file has before and after: anything added is rejected,
 * what the file already had may stay.
 */

const LABEL: Record<DangerKind, string> = {
  eval: 'eval or an equivalent',
  function_constructor: 'the Function constructor',
  import_scripts: 'importScripts',
  remote_module: 'an import or require of a computed or remote module',
  string_timer: 'a timer that runs a string',
  execute_script: 'executeScript with code, userScripts or debugger',
  document_write: 'document.write',
  html_injection: 'HTML built from non-literal text',
  script_element: 'a script element',
  html_active_content: 'an inline handler, frame, object, base or meta http-equiv',
  global_dynamic_access: 'a computed member of the global object',
  network: 'a network call (fetch, XMLHttpRequest, WebSocket, sendBeacon)',
  env_access: 'environment variables',
  obfuscation: 'string decoding (atob, fromCharCode, unescape)',
};

function dangers(r: FileReview, side: 'before' | 'after'): Map<DangerKind, number[]> | null {
  const text = side === 'before' ? r.before : r.after;
  if (r.kind === 'html') return scanHtml(text);
  if (r.kind === 'text') return scanCodeText(text);
  const scan = side === 'before' ? r.scanBefore : r.scanAfter;
  return scan?.dangers ?? null;
}

export function checkDangerousCode(r: FileReview): GuardrailRejection[] {
  const after = dangers(r, 'after');
  if (after === null) return [];
  // A before that does not parse counts as having none: the after must then be clean.
  const before = dangers(r, 'before') ?? new Map<DangerKind, number[]>();
  const out: GuardrailRejection[] = [];
  for (const [kind, lines] of after) {
    const had = before.get(kind)?.length ?? 0;
    if (lines.length <= had) continue;
    const line = lines.find((l) => r.addedLines?.has(l)) ?? lines[0];
    out.push({
      reason: 'dangerous_code',
      path: r.path,
      ...(line === undefined || line === 0 ? {} : { line }),
      detail: `adds ${LABEL[kind]}`,
    });
  }
  return out;
}
