import type {
  CallExpression,
  File,
  MemberExpression,
  NewExpression,
  Node,
  OptionalCallExpression,
  OptionalMemberExpression,
} from '@babel/types';

/**
 * One walk over a parsed script that gathers everything the guardrails compare between a file's
 * before and after (docs/architecture.md#guardrails; research ai-autofix.md §8 T3, T4, T9): code
 * that runs strings or remote code, network and environment sinks, test and assertion calls,
 * module specifiers, non-ASCII identifiers, and the literal text (strings, templates, comments,
 * JSX text, numbers) that the URL and PII checks read. The guardrails never decide on one file
 * alone: whatever the after has more of than the before was added by the candidate.
 */

export type DangerKind =
  | 'eval' // eval in any form (direct, `(0, eval)`, `window['eval']`), execScript, WebAssembly
  | 'function_constructor' // Function, `x.constructor(...)` (AsyncFunction and friends)
  | 'import_scripts'
  | 'remote_module' // import()/require() of a computed or remote specifier, a remote static import
  | 'string_timer' // setTimeout/setInterval/setImmediate with code as a string
  | 'execute_script' // executeScript with `code` or unverifiable details, userScripts, debugger
  | 'document_write'
  | 'html_injection' // innerHTML/outerHTML/srcdoc of non-literals, insertAdjacentHTML, dangerouslySetInnerHTML
  | 'script_element' // createElement('script'), <script> in JSX, script markup in strings or HTML
  | 'html_active_content' // inline event handlers, iframes, objects, <meta http-equiv>, <base> in HTML
  | 'global_dynamic_access' // window[x], globalThis[x], self[x]: a computed name can be 'eval'
  | 'network' // fetch, XMLHttpRequest, WebSocket, EventSource, sendBeacon: where data can leave
  | 'env_access' // process.env, import.meta.env: where CI secrets live when tests run there
  | 'obfuscation'; // atob, unescape, String.fromCharCode: building strings the checks cannot read

export interface Piece {
  text: string;
  line: number;
  /** A string literal's whole value (not a comment or a template part). */
  whole: boolean;
}

export interface ScriptScan {
  dangers: Map<DangerKind, number[]>;
  tests: number[];
  assertions: number[];
  /** Assertions on literals only (`assert.ok(true)`, `expect(1).toBe(1)`): they cannot fail. */
  vacuous: number[];
  skips: number[];
  specifiers: { value: string; line: number }[];
  nonAsciiIdentifiers: { name: string; line: number }[];
  pieces: Piece[];
}

const IDENTIFIER_DANGERS: Record<string, DangerKind> = {
  eval: 'eval',
  execScript: 'eval',
  WebAssembly: 'eval',
  Function: 'function_constructor',
  importScripts: 'import_scripts',
  fetch: 'network',
  XMLHttpRequest: 'network',
  WebSocket: 'network',
  EventSource: 'network',
  RTCPeerConnection: 'network',
  WebTransport: 'network',
  atob: 'obfuscation',
  unescape: 'obfuscation',
};

const PROPERTY_DANGERS: Record<string, DangerKind> = {
  sendBeacon: 'network',
  fromCharCode: 'obfuscation',
  fromCodePoint: 'obfuscation',
  userScripts: 'execute_script',
  debugger: 'execute_script',
};

/** Objects whose computed members reach every global, `eval` and `Function` included. */
const GLOBAL_ROOTS = new Set(['window', 'globalThis', 'self', 'global', 'top', 'parent', 'frames']);
const TIMERS = new Set(['setTimeout', 'setInterval', 'setImmediate']);
const HTML_SINK_PROPERTIES = new Set(['innerHTML', 'outerHTML', 'srcdoc']);
const TEST_ROOTS = new Set(['test', 'it', 'describe', 'suite', 'specify', 'bench']);
const FOCUS_OR_SKIP_ROOTS = new Set([
  'xit',
  'xtest',
  'xdescribe',
  'xspecify',
  'xcontext',
  'fit',
  'fdescribe',
  'ftest',
]);
const SKIP_MODIFIERS = new Set(['skip', 'only', 'todo', 'fixme', 'skipIf', 'runIf', 'fails']);
const ASSERTION_ROOTS = new Set(['expect', 'assert']);
const SKIP_CONTEXTS = new Set(['t', 'ctx', 'context', 'this']);

function isConstant(node: Node): boolean {
  return (
    node.type === 'BooleanLiteral' ||
    node.type === 'NumericLiteral' ||
    node.type === 'NullLiteral' ||
    literalString(node) !== null
  );
}

/** Keys that hold positions, comments or TypeScript types: no code runs from them. */
const SKIP_KEYS = new Set([
  'loc',
  'start',
  'end',
  'extra',
  'range',
  'leadingComments',
  'trailingComments',
  'innerComments',
  'typeAnnotation',
  'typeParameters',
  'typeArguments',
  'returnType',
  'superTypeParameters',
  'superTypeArguments',
  'implements',
]);
const TYPE_ONLY_NODES = new Set([
  'TSInterfaceDeclaration',
  'TSTypeAliasDeclaration',
  'TSDeclareFunction',
  'TSDeclareMethod',
]);

/** A specifier that fetches code from elsewhere (a URL or protocol-relative). */
export function isRemoteSpecifier(s: string): boolean {
  return /^\s*(?:[a-z][a-z\d+.-]*:|\/\/)/i.test(s) && !/^\s*node:/i.test(s);
}

function lineOf(node: Node): number {
  return node.loc?.start.line ?? 0;
}

function literalString(node: Node | null | undefined): string | null {
  if (node == null) return null;
  if (node.type === 'StringLiteral') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) {
    return node.quasis[0]?.value.cooked ?? null;
  }
  return null;
}

function propertyName(m: MemberExpression | OptionalMemberExpression): string | null {
  if (!m.computed && m.property.type === 'Identifier') return m.property.name;
  if (m.computed) return literalString(m.property);
  return null;
}

function calleeName(callee: Node): string | null {
  if (callee.type === 'Identifier') return callee.name;
  if (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') {
    return propertyName(callee);
  }
  return null;
}

/** `expect(x).not.toBe(y)` → root `expect`, properties `toBe`, `not`, inner arguments `x`. */
function calleeChain(callee: Node): { root: string | null; props: string[]; innerArgs: Node[] } {
  const props: string[] = [];
  const innerArgs: Node[] = [];
  let e: Node = callee;
  for (let depth = 0; depth < 64; depth++) {
    if (e.type === 'MemberExpression' || e.type === 'OptionalMemberExpression') {
      const name = propertyName(e);
      if (name !== null) props.push(name);
      e = e.object;
    } else if (e.type === 'CallExpression' || e.type === 'OptionalCallExpression') {
      innerArgs.push(...(e.arguments as Node[]));
      e = e.callee;
    } else if (e.type === 'TSNonNullExpression' || e.type === 'TSAsExpression') {
      e = e.expression;
    } else break;
  }
  const root = e.type === 'Identifier' ? e.name : e.type === 'ThisExpression' ? 'this' : null;
  return { root, props, innerArgs };
}

function hasObjectKey(args: readonly Node[], keys: ReadonlySet<string>): boolean {
  return args.some(
    (a) =>
      a.type === 'ObjectExpression' &&
      a.properties.some(
        (p) =>
          p.type === 'ObjectProperty' &&
          ((!p.computed && p.key.type === 'Identifier' && keys.has(p.key.name)) ||
            (p.key.type === 'StringLiteral' && keys.has(p.key.value))),
      ),
  );
}

/** Strings whose value is fixed in the source: safe as HTML or code only in that sense. */
function isLiteralLike(node: Node | undefined): boolean {
  return node !== undefined && literalString(node) !== null;
}

const NON_ASCII = /[^\x20-\x7e]/;

/**
 * Joined runs of adjacent string literals in a `+` chain (only runs of two or more: a single
 * literal is a piece already). Nested `+` nodes are marked so the chain is read once.
 */
function concatenatedLiterals(root: Node, folded: WeakSet<Node>): string[] {
  const leaves: Node[] = [];
  const stack: Node[] = [root];
  while (stack.length > 0 && leaves.length < 10_000) {
    const n = stack.pop() as Node;
    if (n.type === 'BinaryExpression' && n.operator === '+') {
      folded.add(n);
      stack.push(n.right, n.left as Node);
    } else leaves.push(n);
  }
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length > 1) out.push(run.join(''));
    run = [];
  };
  for (const leaf of leaves) {
    const text = literalString(leaf);
    if (text === null) flush();
    else run.push(text);
  }
  flush();
  return out;
}

export function scanScript(ast: File): ScriptScan {
  const scan: ScriptScan = {
    dangers: new Map(),
    tests: [],
    assertions: [],
    vacuous: [],
    skips: [],
    specifiers: [],
    nonAsciiIdentifiers: [],
    pieces: [],
  };
  const danger = (kind: DangerKind, node: Node) => {
    const lines = scan.dangers.get(kind) ?? [];
    lines.push(lineOf(node));
    scan.dangers.set(kind, lines);
  };
  const specifier = (source: Node | null | undefined, at: Node) => {
    const value = literalString(source);
    if (value === null) danger('remote_module', at);
    else {
      if (isRemoteSpecifier(value)) danger('remote_module', at);
      scan.specifiers.push({ value, line: lineOf(at) });
    }
  };

  const call = (node: CallExpression | OptionalCallExpression | NewExpression) => {
    const { callee } = node;
    const args = node.arguments as Node[];
    if (callee.type === 'Import') specifier(args[0], node);
    const name = calleeName(callee);
    // `require(x)`, and also `module.require(x)` or `process.mainModule.require(x)`.
    if (name === 'require') specifier(args[0], node);
    // A worker from a computed URL (a blob: of fetched code) runs code no check has read.
    if (
      node.type === 'NewExpression' &&
      (name === 'Worker' || name === 'SharedWorker') &&
      !isLiteralLike(args[0])
    ) {
      danger('remote_module', node);
    }
    if (name !== null && TIMERS.has(name)) {
      const first = args[0];
      if (
        first !== undefined &&
        (first.type === 'StringLiteral' ||
          first.type === 'TemplateLiteral' ||
          first.type === 'BinaryExpression')
      ) {
        danger('string_timer', node);
      }
    }
    if (name === 'executeScript') {
      // MV3's `func` and `files` run the extension's own code; MV2's `code` runs a string. Details
      // that are not an object literal cannot be verified.
      const objects = args.filter((a) => a.type === 'ObjectExpression');
      if (objects.length === 0 || hasObjectKey(objects, new Set(['code']))) {
        danger('execute_script', node);
      }
    }
    if (name === 'constructor') danger('function_constructor', node);
    if (name === 'insertAdjacentHTML' && !isLiteralLike(args[1])) danger('html_injection', node);
    if (name === 'createContextualFragment' && !isLiteralLike(args[0])) {
      danger('html_injection', node);
    }
    if (name === 'setHTMLUnsafe' || name === 'parseHTMLUnsafe') danger('html_injection', node);
    if (name === 'createElement' || name === 'createElementNS') {
      const tag = literalString(args[name === 'createElement' ? 0 : 1]);
      if (tag === null || tag.trim().toLowerCase() === 'script') danger('script_element', node);
    }
    if (node.type === 'NewExpression') return;
    const { root, props, innerArgs } = calleeChain(callee);
    if (root === null) return;
    // `t.skip()` (node:test), `ctx.skip()` (vitest), `this.skip()` (mocha) inside a test body.
    if (
      SKIP_CONTEXTS.has(root) &&
      callee.type !== 'Identifier' &&
      (props[0] === 'skip' || props[0] === 'todo')
    ) {
      scan.skips.push(lineOf(node));
    }
    if (TEST_ROOTS.has(root)) {
      scan.tests.push(lineOf(node));
      if (
        props.some((p) => SKIP_MODIFIERS.has(p)) ||
        hasObjectKey(args, new Set(['skip', 'todo', 'only']))
      ) {
        scan.skips.push(lineOf(node));
      }
    }
    if (FOCUS_OR_SKIP_ROOTS.has(root)) scan.skips.push(lineOf(node));
    if (ASSERTION_ROOTS.has(root) || props.includes('assert') || props.includes('expect')) {
      scan.assertions.push(lineOf(node));
      const all = [...args, ...innerArgs];
      if (all.length > 0 && all.every(isConstant)) scan.vacuous.push(lineOf(node));
    }
  };

  const folded = new WeakSet<Node>();
  const visit = (node: Node) => {
    switch (node.type) {
      case 'Identifier': {
        const kind = IDENTIFIER_DANGERS[node.name];
        if (kind !== undefined && Object.hasOwn(IDENTIFIER_DANGERS, node.name)) danger(kind, node);
        if (NON_ASCII.test(node.name)) {
          scan.nonAsciiIdentifiers.push({ name: node.name, line: lineOf(node) });
        }
        break;
      }
      case 'JSXIdentifier':
        if (NON_ASCII.test(node.name)) {
          scan.nonAsciiIdentifiers.push({ name: node.name, line: lineOf(node) });
        }
        break;
      case 'MemberExpression':
      case 'OptionalMemberExpression': {
        const name = propertyName(node);
        if (node.computed && name !== null && Object.hasOwn(IDENTIFIER_DANGERS, name)) {
          danger(IDENTIFIER_DANGERS[name] as DangerKind, node);
        }
        if (name !== null && Object.hasOwn(PROPERTY_DANGERS, name)) {
          danger(PROPERTY_DANGERS[name] as DangerKind, node);
        }
        if (
          node.computed &&
          name === null &&
          node.property.type !== 'NumericLiteral' &&
          node.object.type === 'Identifier' &&
          GLOBAL_ROOTS.has(node.object.name)
        ) {
          danger('global_dynamic_access', node);
        }
        const obj = node.object;
        const objName =
          obj.type === 'Identifier'
            ? obj.name
            : obj.type === 'MemberExpression' || obj.type === 'OptionalMemberExpression'
              ? propertyName(obj)
              : null;
        if ((name === 'write' || name === 'writeln') && objName === 'document') {
          danger('document_write', node);
        }
        if (name === 'env' && (objName === 'process' || obj.type === 'MetaProperty')) {
          danger('env_access', node);
        }
        break;
      }
      case 'CallExpression':
      case 'OptionalCallExpression':
      case 'NewExpression':
        call(node);
        break;
      case 'ImportExpression':
        specifier(node.source, node);
        break;
      case 'ImportDeclaration':
      case 'ExportAllDeclaration':
        specifier(node.source, node);
        break;
      case 'ExportNamedDeclaration':
        if (node.source != null) specifier(node.source, node);
        break;
      case 'TSExternalModuleReference':
        specifier(node.expression, node);
        break;
      case 'AssignmentExpression': {
        const left = node.left;
        if (
          (left.type === 'MemberExpression' || left.type === 'OptionalMemberExpression') &&
          HTML_SINK_PROPERTIES.has(propertyName(left) ?? '') &&
          !isLiteralLike(node.right)
        ) {
          danger('html_injection', node);
        }
        break;
      }
      case 'JSXAttribute':
        if (node.name.type === 'JSXIdentifier' && node.name.name === 'dangerouslySetInnerHTML') {
          danger('html_injection', node);
        }
        break;
      case 'JSXOpeningElement':
        if (node.name.type === 'JSXIdentifier' && node.name.name.toLowerCase() === 'script') {
          danger('script_element', node);
        }
        break;
      case 'BinaryExpression':
        // 'https:' + '//' + 'evil' + '.com': the literal runs of a concatenation, joined, are read
        // as one more piece, so a URL split across literals is still a URL.
        if (node.operator === '+' && !folded.has(node)) {
          for (const text of concatenatedLiterals(node, folded)) {
            scan.pieces.push({ text, line: lineOf(node), whole: false });
          }
        }
        break;
      case 'StringLiteral':
      case 'DirectiveLiteral':
        scan.pieces.push({ text: node.value, line: lineOf(node), whole: true });
        if (/<script\b/i.test(node.value)) danger('script_element', node);
        break;
      case 'TemplateElement': {
        const text = node.value.cooked ?? node.value.raw;
        scan.pieces.push({ text, line: lineOf(node), whole: false });
        if (/<script\b/i.test(text)) danger('script_element', node);
        break;
      }
      case 'JSXText':
        scan.pieces.push({ text: node.value, line: lineOf(node), whole: false });
        break;
      case 'NumericLiteral':
      case 'BigIntLiteral': {
        const raw = (node.extra as { raw?: unknown } | undefined)?.raw;
        if (typeof raw === 'string')
          scan.pieces.push({ text: raw, line: lineOf(node), whole: true });
        break;
      }
      default:
        break;
    }
  };

  // Iterative, so a deeply nested (hostile) tree cannot overflow the stack here.
  const stack: unknown[] = [ast.program];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push(value[i]);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    const node = value as Node;
    if (typeof node.type !== 'string' || TYPE_ONLY_NODES.has(node.type)) continue;
    visit(node);
    for (const [key, child] of Object.entries(node)) {
      if (!SKIP_KEYS.has(key) && child !== null && typeof child === 'object') stack.push(child);
    }
  }
  for (const c of ast.comments ?? []) {
    scan.pieces.push({ text: c.value, line: c.loc?.start.line ?? 0, whole: false });
  }
  return scan;
}

/** Dangerous things in HTML pages, by text (extension pages are small and hand-written). */
export function scanHtml(text: string): Map<DangerKind, number[]> {
  const out = new Map<DangerKind, number[]>();
  const lines = lineStarts(text);
  const add = (kind: DangerKind, index: number) => {
    const list = out.get(kind) ?? [];
    list.push(lineAt(lines, index));
    out.set(kind, list);
  };
  // A <script> with a remote src, or inline code (MV3's CSP blocks it, a fix never needs it);
  // a local src is how extension pages load their own scripts.
  // Attribute runs are bounded so text without '>' cannot make the scan quadratic.
  for (const m of text.matchAll(/<script\b([^>]{0,4000})>/gi)) {
    const attrs = m[1] ?? '';
    const src = /\bsrc\s*=\s*["']?\s*([^\s"'>]*)/i.exec(attrs)?.[1];
    if (src === undefined || isRemoteSpecifier(src)) add('script_element', m.index);
  }
  for (const m of text.matchAll(/<[a-z][\w-]{0,40}\s[^>]{0,4000}?\bon[a-z]+\s*=/gi)) {
    add('html_active_content', m.index);
  }
  for (const m of text.matchAll(
    /<(?:iframe|frame|object|embed|base|portal)\b|<meta\b[^>]{0,4000}http-equiv/gi,
  )) {
    add('html_active_content', m.index);
  }
  for (const m of text.matchAll(
    /<link\b[^>]{0,4000}\bhref\s*=\s*["']?\s*(?:[a-z][a-z\d+.-]*:|\/\/)/gi,
  )) {
    add('remote_module', m.index);
  }
  return out;
}

/**
 * For files no parser here reads (`.vue`, `.svelte`, `.astro`, CSS…): the same kinds, found by
 * their spelling. Cruder than the syntax tree, and only ever compared before against after.
 */
const TEXT_DANGERS: readonly [DangerKind, RegExp][] = [
  ['eval', /\beval\s*\(|\bexecScript\b/g],
  ['function_constructor', /\bFunction\s*\(/g],
  ['import_scripts', /\bimportScripts\b/g],
  ['document_write', /\bdocument\s*\.\s*write/g],
  [
    'html_injection',
    /\b(?:inner|outer)HTML\s*=(?!=)|\bv-html\b|\{@html\b|dangerouslySetInnerHTML/g,
  ],
  ['execute_script', /\bexecuteScript\b|\buserScripts\b/g],
  ['script_element', /<script\b/gi],
  ['network', /\bfetch\s*\(|\bXMLHttpRequest\b|\bWebSocket\b|\bsendBeacon\b|\bEventSource\b/g],
  ['env_access', /\bprocess\s*\.\s*env\b|\bimport\.meta\.env\b/g],
  ['obfuscation', /\batob\s*\(|\bfromCharCode\b|\bunescape\s*\(/g],
];

export function scanCodeText(text: string): Map<DangerKind, number[]> {
  const out = new Map<DangerKind, number[]>();
  const starts = lineStarts(text);
  for (const [kind, re] of TEXT_DANGERS) {
    const lines = [...text.matchAll(re)].map((m) => lineAt(starts, m.index));
    if (lines.length > 0) out.set(kind, lines);
  }
  return out;
}

export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line of a character index. */
export function lineAt(starts: readonly number[], index: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}
