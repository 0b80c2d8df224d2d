import { parseExpression } from '@babel/parser';
import type { Node } from '@babel/types';
import { frameSites, nodesAtFrame, SourceCache } from '../ast/frame-sites.ts';
import type { ParsedSource } from '../ast/parse-source.ts';
import { normalizeExpression, sourceOf, type TextEdit, tokensBetween } from '../ast/source-edit.ts';
import { end, start } from '../ast/walk.ts';
import {
  type PatternTransform,
  planSites,
  type TransformInput,
  type TransformResult,
} from './transform.types.ts';

/**
 * Property read of null/undefined → optional chaining on the member expression that read it
 * (issue 9 item 4a). The engines name the read differently:
 *   V8       Cannot read properties of null (reading 'x')   /  Cannot read property 'x' of null
 *   Safari   null is not an object (evaluating 'a.b.x')
 *   Firefox  can't access property "x", a.b is null         /  a.b is undefined
 * so the captures give the property, the object's text, or the whole expression, and the target
 * is the member expression at the culprit frame that fits them. `a.b.x` becomes `a.b?.x`, a call
 * `a.b()` whose `b` was read from null becomes `a?.b()`, and `a!.x` (TS) becomes `a?.x`.
 */

type Member = Extract<Node, { type: 'MemberExpression' | 'OptionalMemberExpression' }>;

function isMember(node: Node): node is Member {
  return node.type === 'MemberExpression' || node.type === 'OptionalMemberExpression';
}

interface Wanted {
  property: string | null;
  object: string | null;
}

const MAX_EXPRESSION = 300;

/** The read the message names, from whichever captures the engine's wording gave. */
function wantedRead(captures: Readonly<Record<string, string>>): Wanted | null {
  const nullish = captures.nullish;
  if (nullish !== undefined && nullish !== 'null' && nullish !== 'undefined') return null;
  let property = captures.property ?? null;
  let object = captures.object ?? null;
  const expression = captures.expression;
  if (expression !== undefined) {
    if (expression.length > MAX_EXPRESSION) return null;
    try {
      // Parsed only to split it: the text is compared with the file's, never inserted.
      const node = parseExpression(expression, { plugins: ['jsx'] }) as Node;
      if (!isMember(node)) return null;
      object = expression.slice(start(node.object), end(node.object));
      if (!node.computed && node.property.type === 'Identifier') property = node.property.name;
      else if (node.property.type === 'StringLiteral') property = node.property.value;
      else if (node.property.type === 'NumericLiteral') property = String(node.property.value);
    } catch {
      return null;
    }
  }
  // Firefox abbreviates calls (`document.querySelector(...) is null`): no text to compare.
  if (object?.includes('...')) object = null;
  if (property === null && object === null) return null;
  if (property !== null && (property.length === 0 || property.length > MAX_EXPRESSION)) return null;
  return { property, object: object === null ? null : normalizeExpression(object) };
}

function propertyName(member: Member): string | null {
  const p = member.property;
  if (!member.computed && p.type === 'Identifier') return p.name;
  if (p.type === 'PrivateName') return null;
  if (p.type === 'StringLiteral') return p.value;
  if (p.type === 'NumericLiteral') return String(p.value);
  return null;
}

/** An optional chain cannot be assigned to, updated, constructed, tagged or destructured into. */
function mayBeOptional(member: Member, ancestors: readonly Node[]): boolean {
  if (member.object.type === 'Super') return false;
  let top: Node = member;
  let i = ancestors.length - 1;
  for (; i >= 0; i--) {
    const parent = ancestors[i] as Node;
    if (isMember(parent) && parent.object === top) top = parent;
    else if (
      (parent.type === 'CallExpression' || parent.type === 'OptionalCallExpression') &&
      parent.callee === top
    ) {
      top = parent;
    } else if (parent.type === 'TSNonNullExpression') top = parent;
    else break;
  }
  const parent = ancestors[i];
  if (parent === undefined) return true;
  switch (parent.type) {
    case 'AssignmentExpression':
      return parent.left !== top;
    case 'UpdateExpression':
      return false;
    case 'NewExpression':
      return parent.callee !== top;
    case 'TaggedTemplateExpression':
      return parent.tag !== top;
    case 'ForInStatement':
    case 'ForOfStatement':
      return parent.left !== top;
    case 'ArrayPattern':
    case 'RestElement':
      return false;
    case 'AssignmentPattern':
      return parent.left !== top;
    case 'ObjectProperty': {
      const grand = ancestors[i - 1];
      return !(grand?.type === 'ObjectPattern' && parent.value === top);
    }
    default:
      return true;
  }
}

/** The edit making `member`'s own access optional. */
function optionalEdit(file: ParsedSource, member: Member): TextEdit | null {
  const between = tokensBetween(file, end(member.object), start(member.property));
  if (member.computed) {
    const bracket = [...between].reverse().find((t) => t.label === '[');
    return bracket ? { start: bracket.start, end: bracket.start, text: '?.' } : null;
  }
  const dot = between.find((t) => t.label === '.');
  if (!dot) return null;
  if (member.object.type === 'TSNonNullExpression') {
    // `a!.x`: the assertion said "never null" and was wrong; `a?.x` replaces it.
    const bang = tokensBetween(file, start(member.object), end(member.object)).reverse()[0];
    if (bang?.text === '!') return { start: bang.start, end: dot.end, text: '?.' };
  }
  return { start: dot.start, end: dot.end, text: '?.' };
}

function apply({ ctx, captures }: TransformInput): TransformResult {
  const wanted = wantedRead(captures);
  if (wanted === null) return { ok: false, reason: 'bad_captures' };
  const cache = SourceCache.for(ctx);
  return planSites(frameSites(ctx, cache, 'culprit'), cache, (site) => {
    const fits = (node: Node): node is Member => {
      if (!isMember(node)) return false;
      if (wanted.property !== null) {
        const name = propertyName(node);
        // `a[key]` may be the read of 'x' too, but only when nothing names it outright.
        if (name !== null && name !== wanted.property) return false;
        if (name === null && !node.computed) return false;
      }
      if (wanted.object !== null) {
        return normalizeExpression(sourceOf(site.file, node.object)) === wanted.object;
      }
      return true;
    };
    const found = nodesAtFrame(site, fits);
    const named = found.filter((v) => wanted.property === null || propertyName(v.node) !== null);
    const target = (named.length > 0 ? named : found)[0];
    if (!target) return { refusal: 'no_target_node' };
    const member = target.node;
    if (member.type === 'OptionalMemberExpression' && member.optional) {
      return { refusal: 'already_guarded' };
    }
    if (!mayBeOptional(member, target.ancestors)) return { refusal: 'unsafe_target' };
    const edit = optionalEdit(site.file, member);
    return edit ? { edits: [edit] } : { refusal: 'no_target_node' };
  });
}

export const optionalChainTransform: PatternTransform = {
  id: 'optional-chain',
  summary:
    'Read the property with optional chaining at the failing line, where its object can be null or undefined.',
  apply,
};
