import type { Node } from '@babel/types';
import { frameSites, nodesAtFrame, SourceCache } from '../ast/frame-sites.ts';
import { isTypeScriptPath } from '../ast/parse-source.ts';
import { normalizeExpression, outerRange, sourceOf, type TextEdit } from '../ast/source-edit.ts';
import { end, isFunction } from '../ast/walk.ts';
import {
  type PatternTransform,
  planSites,
  type TransformInput,
  type TransformResult,
} from './transform.types.ts';

/**
 * Destructuring null/undefined (`Cannot destructure property 'a' of 'b' as it is undefined.`,
 * `Cannot destructure 'b' as it is null.`, Safari's `Right side of assignment cannot be
 * destructured`) → the destructured value defaults to an empty object or array:
 *   const { a } = b;            → const { a } = b ?? {};
 *   function f({ a }) {}        → function f({ a } = {}) {}
 * `??` keeps every other value as it was, unlike `||`. An operand that cannot stand beside `??`
 * (`x || y`, a conditional, an arrow) is parenthesised.
 */

type Declarator = Extract<Node, { type: 'VariableDeclarator' }>;
type Pattern = Extract<Node, { type: 'ObjectPattern' | 'ArrayPattern' }>;

const BARE_OPERANDS = new Set([
  'Identifier',
  'MemberExpression',
  'OptionalMemberExpression',
  'CallExpression',
  'OptionalCallExpression',
  'AwaitExpression',
  'ThisExpression',
  'TSNonNullExpression',
]);

/** `a`, `a.b.c`: what a TS `typeof` type query accepts. */
function isEntityName(node: Node): boolean {
  if (node.type === 'Identifier') return true;
  return (
    node.type === 'MemberExpression' &&
    !node.computed &&
    node.property.type === 'Identifier' &&
    isEntityName(node.object)
  );
}

function isPattern(node: Node): node is Pattern {
  return node.type === 'ObjectPattern' || node.type === 'ArrayPattern';
}

function isDestructuringDeclarator(node: Node): node is Declarator {
  return node.type === 'VariableDeclarator' && isPattern(node.id) && node.init != null;
}

function isDefaultedAlready(init: Node): boolean {
  return (
    init.type === 'LogicalExpression' &&
    (init.operator === '??' || init.operator === '||') &&
    (init.right.type === 'ObjectExpression' || init.right.type === 'ArrayExpression')
  );
}

function apply({ ctx, captures }: TransformInput): TransformResult {
  const nullish = captures.nullish;
  if (nullish !== undefined && nullish !== 'null' && nullish !== 'undefined') {
    return { ok: false, reason: 'bad_captures' };
  }
  const object = captures.object === undefined ? null : normalizeExpression(captures.object);
  const cache = SourceCache.for(ctx);
  return planSites(frameSites(ctx, cache, 'culprit'), cache, (site) => {
    const declarators = nodesAtFrame(site, isDestructuringDeclarator);
    // V8 names the right-hand side's source text; prefer the declarator it names.
    const named = declarators.filter(
      (d) =>
        object !== null &&
        d.node.init != null &&
        normalizeExpression(sourceOf(site.file, d.node.init)) === object,
    );
    const declarator = (named.length > 0 ? named : declarators)[0];
    if (declarator?.node.init != null) {
      const init = declarator.node.init;
      if (isDefaultedAlready(init)) return { refusal: 'already_guarded' };
      const array = declarator.node.id.type === 'ArrayPattern';
      // In TS, `x ?? {}` types as `X | {}` and the destructured names stop existing on it; a
      // Partial of the value's own type keeps them (possibly undefined, which they now are).
      const typed = isTypeScriptPath(site.file.path) && !array && isEntityName(init);
      const fallback = array
        ? '[]'
        : typed
          ? `({} as Partial<NonNullable<typeof ${site.file.text.slice(init.start ?? 0, init.end ?? 0)}>>)`
          : '{}';
      const range = outerRange(site.file, init);
      const text = site.file.text.slice(range.start, range.end);
      const bare = BARE_OPERANDS.has(init.type) || range.start !== init.start;
      const edit: TextEdit = {
        start: range.start,
        end: range.end,
        text: `${bare ? text : `(${text})`} ?? ${fallback}`,
      };
      return { edits: [edit] };
    }
    // A destructured parameter: V8 names the argument `undefined` there.
    const params = nodesAtFrame(site, (node): node is Pattern & Node => {
      return isPattern(node);
    }).filter((v) => {
      const parent = v.ancestors[v.ancestors.length - 1];
      return parent !== undefined && isFunction(parent) && parent.params.includes(v.node as never);
    });
    const param = params[0];
    if (param) {
      // A typed parameter (`{ x }: Point`) cannot default to `{}` in TS: the model's call.
      if (isTypeScriptPath(site.file.path) && param.node.typeAnnotation)
        return { refusal: 'unsafe_target' };
      const at = end(param.node);
      return {
        edits: [
          { start: at, end: at, text: ` = ${param.node.type === 'ArrayPattern' ? '[]' : '{}'}` },
        ],
      };
    }
    const defaulted = nodesAtFrame(
      site,
      (node): node is Extract<Node, { type: 'AssignmentPattern' }> => {
        return node.type === 'AssignmentPattern' && isPattern(node.left);
      },
    );
    return { refusal: defaulted.length > 0 ? 'already_guarded' : 'no_target_node' };
  });
}

export const destructureDefaultTransform: PatternTransform = {
  id: 'destructure-default',
  summary:
    'Default the destructured value to an empty object (or array) when it is null or undefined.',
  apply,
};
