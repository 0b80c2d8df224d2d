import { type AstNode, asNode, walk } from './parse-source.ts';

/**
 * The `chrome.*` (or webextension-polyfill `browser.*`) calls of a parsed file: where a frameless
 * Chrome error can come from (frameless.ts). Only direct member chains count
 * (`chrome.tabs.sendMessage(…)`, `await browser.storage.sync.set(…)`,
 * `globalThis.chrome.runtime.getURL(…)`); an API stored in a variable first is not followed.
 */

export interface ChromeCall {
  /** The chain after the root: `['tabs', 'sendMessage']`, `['storage', 'sync', 'set']`. */
  chain: string[];
  /** 1-based line and column of the call. */
  line: number;
  column: number;
  /** Whether a function is passed (callback style, where `runtime.lastError` is reported). */
  callback: boolean;
}

const ROOTS = new Set(['chrome', 'browser']);
const GLOBALS = new Set(['globalThis', 'self', 'window']);

function propertyName(member: AstNode): string | null {
  const prop = asNode(member.property);
  if (prop === null) return null;
  if (member.computed !== true && prop.type === 'Identifier' && typeof prop.name === 'string') {
    return prop.name;
  }
  if (prop.type === 'StringLiteral' && typeof prop.value === 'string') return prop.value;
  return null;
}

function memberChain(callee: AstNode): string[] | null {
  const names: string[] = [];
  let node: AstNode | null = callee;
  while (
    node !== null &&
    (node.type === 'MemberExpression' || node.type === 'OptionalMemberExpression')
  ) {
    const name = propertyName(node);
    if (name === null) return null;
    names.unshift(name);
    node = asNode(node.object);
    // TypeScript wrappers around the object: `(chrome as any).tabs`, `chrome!.tabs`.
    while (
      node !== null &&
      /^TS(?:AsExpression|NonNullExpression|SatisfiesExpression)$/.test(node.type)
    ) {
      node = asNode(node.expression);
    }
  }
  if (node?.type !== 'Identifier' || typeof node.name !== 'string') return null;
  if (ROOTS.has(node.name)) return names;
  if (GLOBALS.has(node.name) && ROOTS.has(names[0] ?? '')) return names.slice(1);
  return null;
}

const FUNCTION_TYPES = new Set(['FunctionExpression', 'ArrowFunctionExpression']);

export function chromeCalls(program: AstNode): ChromeCall[] {
  const out: ChromeCall[] = [];
  walk(program, (node) => {
    if (node.type !== 'CallExpression' && node.type !== 'OptionalCallExpression') return;
    const callee = asNode(node.callee);
    if (callee === null || !node.loc) return;
    const chain = memberChain(callee);
    if (chain === null || chain.length < 2) return;
    const args = (node.arguments as unknown[]) ?? [];
    out.push({
      chain,
      line: node.loc.start.line,
      column: node.loc.start.column + 1,
      callback: args.some((a) => FUNCTION_TYPES.has(asNode(a)?.type ?? '')),
    });
  });
  return out;
}
