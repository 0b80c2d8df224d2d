import type { FrameShape } from './frame-shape.ts';
import type { TransformId } from './transforms/transform.types.ts';

/**
 * The built-in patterns (issue 9 item 4): the common ways extensions fail, in the words each
 * engine uses (docs/architecture.md#chrome-field-notes; messages as Chrome, Safari and Firefox
 * print them). One row per wording, so that each wording earns or loses its own confidence. Ids are
 * stable: changing a signature means a new id (the seed never overwrites what a row has learned).
 */

export interface BuiltinPattern {
  id: string;
  errorType: string;
  template: string;
  frameShape: FrameShape | '*';
  transform: TransformId;
  params?: Record<string, unknown>;
}

/** Where every built-in starts (issue 9: "confidence 0.9 to start"). */
export const BUILTIN_CONFIDENCE = 0.9;

export const BUILTIN_PATTERNS: readonly BuiltinPattern[] = [
  // a. property read of null/undefined → optional chaining
  {
    id: 'builtin:property-read/v8',
    errorType: 'TypeError',
    template: "Cannot read properties of <@nullish> (reading '<@property>')",
    frameShape: '*',
    transform: 'optional-chain',
  },
  {
    id: 'builtin:property-read/v8-legacy',
    errorType: 'TypeError',
    template: "Cannot read property '<@property>' of <@nullish>",
    frameShape: '*',
    transform: 'optional-chain',
  },
  {
    id: 'builtin:property-read/safari',
    errorType: 'TypeError',
    template: "<@nullish> is not an object (evaluating '<@expression>')",
    frameShape: '*',
    transform: 'optional-chain',
  },
  {
    id: 'builtin:property-read/firefox',
    errorType: 'TypeError',
    template: 'can\'t access property "<@property>", <@object> is <@nullish>',
    frameShape: '*',
    transform: 'optional-chain',
  },
  {
    id: 'builtin:property-read/firefox-legacy',
    errorType: 'TypeError',
    template: '<@object> is <@nullish>',
    frameShape: '*',
    transform: 'optional-chain',
  },
  // b. JSON.parse / res.json() of a non-JSON answer → null instead of a throw
  {
    id: 'builtin:json-parse/v8',
    errorType: 'SyntaxError',
    template: "Unexpected token '<@token>', <@input> is not valid JSON",
    frameShape: 'json-parse',
    transform: 'json-parse-guard',
  },
  {
    // V8 quotes the input's start with its raw newlines: past two lines, grouping cuts it.
    id: 'builtin:json-parse/v8-multiline',
    errorType: 'SyntaxError',
    template: "Unexpected token '<@token>', <@input>...",
    frameShape: 'json-parse',
    transform: 'json-parse-guard',
  },
  {
    id: 'builtin:json-parse/v8-end',
    errorType: 'SyntaxError',
    template: 'Unexpected end of JSON input',
    frameShape: 'json-parse',
    transform: 'json-parse-guard',
  },
  {
    id: 'builtin:json-parse/v8-legacy',
    errorType: 'SyntaxError',
    template: 'Unexpected token <@token> in JSON at position <int>',
    frameShape: 'json-parse',
    transform: 'json-parse-guard',
  },
  {
    id: 'builtin:json-parse/response',
    errorType: 'SyntaxError',
    template: "Failed to execute 'json' on 'Response': <@detail>",
    frameShape: 'json-parse',
    transform: 'json-parse-guard',
  },
  {
    id: 'builtin:json-parse/firefox',
    errorType: 'SyntaxError',
    template: 'JSON.parse: <@detail> of the JSON data',
    frameShape: 'json-parse',
    transform: 'json-parse-guard',
  },
  {
    id: 'builtin:json-parse/safari',
    errorType: 'SyntaxError',
    template: 'JSON Parse error: <@detail>',
    frameShape: 'json-parse',
    transform: 'json-parse-guard',
  },
  // c. a callback that never read chrome.runtime.lastError
  {
    id: 'builtin:last-error',
    errorType: '*',
    template: 'Unchecked runtime.lastError: <@detail>',
    frameShape: '*',
    transform: 'last-error-check',
  },
  // d. a message nobody listens for
  {
    id: 'builtin:receiving-end',
    errorType: 'Error',
    template: 'Could not establish connection. Receiving end does not exist.',
    frameShape: '*',
    transform: 'catch-receiving-end',
  },
  // e. a tab closed under the call
  {
    id: 'builtin:no-tab',
    errorType: 'Error',
    template: 'No tab with id: <int>.',
    frameShape: '*',
    transform: 'catch-no-tab',
  },
  // f. storage.sync size quotas
  {
    id: 'builtin:storage-quota',
    errorType: 'Error',
    template: '<@quota> quota exceeded',
    frameShape: '*',
    transform: 'storage-quota-fallback',
  },
  // g. a content script outliving its extension
  {
    id: 'builtin:context-invalidated',
    errorType: 'Error',
    template: 'Extension context invalidated.',
    frameShape: '*',
    transform: 'context-invalidated-guard',
  },
  // h. a listener's floating promise; any message: the code's structure (and the SDK's
  // mechanism, when known) decides, and it is tried after every more specific pattern.
  {
    id: 'builtin:listener-rejection',
    errorType: '*',
    template: '<@message>',
    frameShape: '*',
    transform: 'listener-rejection-catch',
  },
  // extra: an API or method some browsers lack → optional call
  {
    id: 'builtin:optional-call/v8',
    errorType: 'TypeError',
    template: '<@callee> is not a function',
    frameShape: '*',
    transform: 'optional-call',
  },
  {
    id: 'builtin:optional-call/safari',
    errorType: 'TypeError',
    template: "<@callee> is not a function. (In '<@call>', '<@value>' is <@nullish>)",
    frameShape: '*',
    transform: 'optional-call',
  },
  // extra: destructuring null/undefined → a default
  {
    id: 'builtin:destructure/property',
    errorType: 'TypeError',
    template: "Cannot destructure property '<@property>' of '<@object>' as it is <@nullish>.",
    frameShape: '*',
    transform: 'destructure-default',
  },
  {
    id: 'builtin:destructure/value',
    errorType: 'TypeError',
    template: "Cannot destructure '<@object>' as it is <@nullish>.",
    frameShape: '*',
    transform: 'destructure-default',
  },
  {
    id: 'builtin:destructure/safari',
    errorType: 'TypeError',
    template: 'Right side of assignment cannot be destructured',
    frameShape: '*',
    transform: 'destructure-default',
  },
];

/**
 * Seeds the built-ins, idempotently: an existing row (with what it has learned, or retired) is
 * left as it is. Returns how many rows were new.
 */
export async function ensureBuiltinPatterns(
  db: D1Database,
  now: number = Date.now(),
): Promise<number> {
  const insert = db.prepare(
    `INSERT INTO fix_patterns (id, scope, error_type, message_template, frame_shape, transform,
       params, confidence, uses, successes, failures, state, provenance, source_pr_url,
       source_repo, learned_env, created_at, updated_at)
     VALUES (?1, '*', ?2, ?3, ?4, ?5, ?6, ?7, 0, 0, 0, 'active', 'builtin', NULL, NULL, NULL, ?8, ?8)
     ON CONFLICT (id) DO NOTHING`,
  );
  const results = await db.batch(
    BUILTIN_PATTERNS.map((p) =>
      insert.bind(
        p.id,
        p.errorType,
        p.template,
        p.frameShape,
        p.transform,
        JSON.stringify(p.params ?? {}),
        BUILTIN_CONFIDENCE,
        now,
      ),
    ),
  );
  return results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
}
