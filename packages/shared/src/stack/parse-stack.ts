/**
 * Stack parsing for V8 (Chrome, Edge), SpiderMonkey (Firefox) and JavaScriptCore (Safari).
 *
 * Stacks arrive from the public ingest endpoint, so everything here is attacker-controlled text of
 * up to 32 KiB: lines are cut with string operations, the few regexes are anchored or bounded so
 * their cost is linear in the input, and at most `MAX_FRAMES` frames are kept.
 */
export interface StackFrame {
  /** As written (`Object.formatDate`, `new Promise`), minus an `async` marker; null if anonymous. */
  function: string | null;
  /** URL or path as written; null for built-ins and code without a URL. */
  file: string | null;
  line: number | null;
  column: number | null;
  /** Built-in code: `(native)`, `(<anonymous>)` without a position, `[native code]`, `(index 0)`. */
  native: boolean;
  /** Code created by `eval`/`new Function`; its position says nothing stable about the bug. */
  eval: boolean;
  /** Reached through an `await` or another async boundary. */
  async: boolean;
  /** The extension's own code, not a library bundled with it nor the host page. */
  inApp: boolean;
}

// sentry-javascript's browser SDK keeps the same number (packages/browser/src/stack-parsers.ts);
// Chrome's own default `Error.stackTraceLimit` is 10, so only crafted input comes near it.
const MAX_FRAMES = 50;

// `:line` or `:line:column` at the end of a location. Anchored at the end and bounded, so each
// attempt is O(1); nine digits is far beyond any real position (minified bundles reach ~10^7).
const POSITION = /:(\d{1,9})(?::(\d{1,9}))?$/;

/**
 * Frames in the order printed (innermost first). A V8 stack starts with the message, which can
 * span lines (JSON.parse quotes its input with raw newlines,
 * docs/architecture.md#chrome-field-notes); those lines are never frames: once one V8 `at` frame is
 * seen, only `at` lines count. Firefox and Safari print frames only, one `function@location` (or a
 * bare location) per line.
 */
export function parseStack(stack: string): StackFrame[] {
  const v8: StackFrame[] = [];
  const other: StackFrame[] = [];
  for (const raw of stack.split('\n')) {
    const line = raw.trim();
    const frame = line.startsWith('at ') ? parseV8(line.slice(3)) : null;
    if (frame) {
      if (v8.push(frame) === MAX_FRAMES) break;
    } else if (!v8.length) {
      const gecko = parseGecko(line);
      if (gecko && other.push(gecko) === MAX_FRAMES) break;
    }
  }
  return v8.length ? v8 : other;
}

/** `fn (location)`, `fn [as alias] (location)`, or a bare `location`; `async ` may lead either. */
function parseV8(text: string): StackFrame | null {
  // The location is in the parentheses after the first ` (`: function names hold none
  // (`I.e.fn.(anonymous function)` has no space before it), while eval locations nest more.
  const open = text.endsWith(')') ? text.indexOf(' (') : -1;
  // `async` marks the function (`at async syncBatch (…)`) or, since Chrome 109, the location
  // (`at Object.callback (async http://…:25:7)`); never both.
  const head = open < 0 ? '' : text.slice(0, open);
  const fn = head.replace(/^async /, '');
  let loc = open < 0 ? text : text.slice(open + 2, -1);
  const isAsync = fn !== head || /^async /.test(loc);
  loc = loc.replace(/^async /, '');
  const isEval = loc.startsWith('eval at ');
  if (isEval) {
    // `eval at run (chrome-extension://…/bg.js:1:1), <anonymous>:1:1`, possibly nested: the
    // innermost parenthesis holds the script that called eval, as Sentry's parser takes it.
    const from = loc.lastIndexOf('(') + 1;
    loc = loc.slice(from, loc.indexOf(')', from));
  }
  return makeFrame(fn, loc, isAsync, isEval);
}

/**
 * `fn@location` (Firefox, Safari), `@location` and bare `location` (anonymous, Safari), with
 * Firefox's async causes (`async*fn@…`, `promise callback*fn@…`) and eval locations
 * (`…/bg.js line 26 > eval:1:30`, where Firefox gives the line of the eval call, no column).
 */
function parseGecko(line: string): StackFrame | null {
  const at = line.indexOf('@');
  const star = line.lastIndexOf('*', at);
  let loc = line.slice(at + 1);
  const evalAt = / line (\d+) > /.exec(loc);
  if (evalAt) loc = `${loc.slice(0, evalAt.index)}:${evalAt[1]}`;
  // Whitespace in a location means this is prose (a message line, `eval code`), not a frame.
  if (/\s/.test(loc) && loc !== '[native code]') return null;
  return makeFrame(at < 0 ? '' : line.slice(star + 1, at), loc, star >= 0, !!evalAt);
}

// What V8 and JSC print in place of a URL: built-ins (`native`, `<anonymous>`, `[native code]`,
// `index 0` for Promise.all's elements) or, followed by a position, code that has no URL.
const NO_URL = /^(?:native|<anonymous>|\[native code\]|index \d+)$/;

/**
 * Null unless the location is one: a real frame has a position, or is built-in, or comes from
 * eval. Anything else after `at ` is prose, such as a message line "at least one id is required".
 */
function makeFrame(fn: string, loc: string, isAsync: boolean, isEval: boolean): StackFrame | null {
  const m = POSITION.exec(loc);
  const file = m ? loc.slice(0, m.index) : loc;
  const line = m ? Number(m[1]) : null;
  const noUrl = NO_URL.test(file);
  if (!m && !noUrl && !isEval) return null;
  return {
    function: fn || null,
    file: noUrl || !file ? null : file,
    line,
    column: m?.[2] ? Number(m[2]) : null,
    native: noUrl && line === null,
    // `<anonymous>:1:5`: positioned code without a URL, from new Function, the console or an
    // injected string; as unstable a location as eval's.
    eval: isEval || (noUrl && line !== null),
    async: isAsync,
    inApp:
      !noUrl &&
      OWN_CODE.test(file) &&
      !isHelperFrame(fn) &&
      !LIBRARY_PATH.test(normalizeFramePath(file) ?? ''),
  };
}

// Extension origins carry a per-install id (Firefox, Safari) or a per-build id (unpacked vs store
// Chrome builds, docs/architecture.md#chrome-field-notes), so it is the scheme that marks our own
// code. The
// `[a-z-]*` prefix covers chrome-, moz-, safari-web-, legacy safari- and ms-browser-extension.
// webpack:// paths are the extension's sources once its frames have been source-mapped.
const OWN_CODE = /^(?:[a-z-]*extension|webpack):\/\//i;

/**
 * Library code bundled inside the extension. Sentry marks `**\/node_modules/**` out of app
 * (research/error-tracking.md §3.4); extensions add their own conventions:
 * - a `node_modules/`, `bower_components/`, `vendor/`, `vendors/` or `third_party/` directory
 *   anywhere in the path;
 * - a `lib/` or `libs/` directory at the extension's root, where unbundled extensions copy
 *   third-party scripts (`lib/jquery.min.js`). The extension's own `src/lib/` is not at the root;
 * - bundler vendor chunks, once content hashes are gone: a file name starting with the word
 *   `vendor`, `vendors` or `chunk-vendors`: `vendor.js`, `vendors~main.js` (webpack 4),
 *   `vendors-node_modules_x.js` (webpack 5), `vendor-react.js`, `chunk-vendors.js` (Vue CLI);
 * - Mozilla's webextension-polyfill (`browser-polyfill.js`), which most cross-browser
 *   extensions ship.
 */
const LIBRARY_PATH =
  /(?:^|\/)(?:node_modules|bower_components|vendors?|third[_-]party)\/|^libs?\/|(?:^|\/)(?:chunk-)?vendors?\b[^/]*$|browser-polyfill/i;

/**
 * Helpers that compilers inline into the extension's own bundle (Babel's asyncToGenerator,
 * tslib's __awaiter/__generator, regenerator's _invoke, Babel 7.23's _callSuper). Sentry excludes
 * `@babel/**`, `core-js/**`, `regenerator-runtime/**`, `tslib/**` and `_callSuper` from app and
 * grouping (§3.4); once inlined there is no path to match, so the names are the only handle.
 * Short, common names that tslib also emits (`step`, `fulfilled`) are left out: a user function
 * called `step` is likelier than a mismatch.
 */
const HELPERS = new Set([
  '_asyncToGenerator',
  'asyncGeneratorStep',
  '_next',
  '_throw',
  '__awaiter',
  '__generator',
  '_invoke',
  '_callSuper',
]);

/** A compiler-inserted helper frame: never the extension's code, never a grouping signal. */
export function isHelperFrame(fn: string | null): boolean {
  return !!fn && HELPERS.has(fn.slice(fn.lastIndexOf('.') + 1));
}

/**
 * A content hash as bundlers print it, after `.` or `-` and before a further `.`: lowercase hex of
 * 6+ with a digit (webpack `[contenthash]`, Parcel, CRA `main.a1b2c3d4.chunk.js`), or exactly 8
 * characters of Rollup/Vite's base64url or esbuild's base32 (`index-DiwrgTda`, `index-ab-cdEF1`,
 * `chunk-OTSMPHHC`) with a digit, or a capital after the first character, so that words such as
 * `settings`, `es2015` or `api` stay. Applied to the file name only, so no attempt scans past it.
 */
const CONTENT_HASH =
  /[.-](?:(?=[a-f]*\d)[\da-f]{6,}|(?=[\w-]{0,7}\d|[\w-]{1,7}[A-Z])[\w-]{8})(?=\.)/g;

/**
 * A frame's file as a stable path: the extension origin (whose id differs per install or build),
 * any other scheme, query and fragment are dropped, and content hashes are removed from
 * the file name, so `chrome-extension://<id>/js/background.3f2a1c.js?v=2` is `js/background.js`.
 * Other hosts stay (`https://cdn.example.com/lib.js` → `cdn.example.com/lib.js`). Null when there
 * is no path to speak of (built-ins, `<anonymous>`).
 */
export function normalizeFramePath(file: string): string | null {
  const path = file.replace(
    /^(?:(?:[a-z-]*extension|webpack):\/\/[^/]*\/|[a-z][\w+.-]*:\/\/)?(?:\.\/)*|[?#].*/gi,
    '',
  );
  const slash = path.lastIndexOf('/') + 1;
  return !path || NO_URL.test(path)
    ? null
    : path.slice(0, slash) + path.slice(slash).replace(CONTENT_HASH, '');
}
