import {
  isHelperFrame,
  normalizeFramePath,
  parseStack,
  type StackFrame,
} from '../stack/parse-stack.ts';
import type { Surface } from '../wire/ingest.schema.ts';
import { parameterizeMessage } from './parameterize.ts';

/**
 * The algorithm's version, hashed first and printed as the prefix. Any change to what is hashed
 * must bump it, or stored groups silently split (Sentry pins `newstyle:*` per project for the
 * same reason, research/error-tracking.md §3.1).
 */
export const FINGERPRINT_VERSION = 'fp1';

export interface FingerprintInput {
  type: string;
  message: string;
  stack?: string | undefined;
  surface: Surface;
}

export interface FingerprintResult {
  /** `fp1:` and the first 128 bits of SHA-256 over `JSON.stringify(components)`, in hex. */
  fingerprint: string;
  /** Exactly what was hashed, to explain a grouping decision. */
  components: string[];
  frames: StackFrame[];
  title: string;
  /** The top contributing frame as `function (path)`, or null when no frame contributed. */
  culprit: string | null;
}

// Beyond the top few frames, callers differ by entry point (a message listener, an alarm, a
// popup click) while the bug stays where it was; Chrome also keeps only 10 frames by default and
// async stacks lose callers reached through `.then()` (docs/architecture.md#chrome-field-notes).
const MAX_CONTRIBUTING = 5;

/** `[component, normalised path, frame]` */
type Contribution = [string, string, StackFrame];

// Names that say "no name" in V8 (`Object.<anonymous>`, `<computed>`, `(anonymous function)`),
// old Edge (`Anonymous function`, `Global code`), Firefox (`anonymous` for new Function) and
// Safari (`global code`, `module code`).
const ANONYMOUS = /^(?:[<(?]|anonymous\b|\w+ code$)/i;

/**
 * The function as grouping sees it, trimmed as Sentry trims JS names (§3.3): the receiver goes
 * (`Object.formatDate` and `t.formatDate` are one function to V8 and `formatDate` to Firefox),
 * and so do V8's `[as alias]`, `new `, and Firefox's `outer/inner` nesting. Firefox's anonymous
 * closures (`test/<`) and the names above count as no name.
 */
function groupingName(fn: string | null): string {
  if (!fn || fn.endsWith('/<')) return '';
  const alias = fn.indexOf(' [as ');
  let name = (alias > 0 ? fn.slice(0, alias) : fn).replace(/^new /, '');
  name = name.slice(Math.max(name.lastIndexOf('.'), name.lastIndexOf('/')) + 1);
  return ANONYMOUS.test(name) ? '' : name;
}

/**
 * Top frames as `path:function`, innermost first. Line and column never count: they move with
 * every release (Sentry uses them only to spot recursion). Built-in, eval and compiler-helper
 * frames never count: they carry no stable location of ours. Consecutive identical entries are
 * recursion and count once, so the depth of a recursion does not split a group.
 */
function contributing(frames: StackFrame[], inAppOnly: boolean): Contribution[] {
  const out: Contribution[] = [];
  for (const frame of frames) {
    if (frame.native || frame.eval || isHelperFrame(frame.function)) continue;
    if (inAppOnly && !frame.inApp) continue;
    const path = frame.file === null ? null : normalizeFramePath(frame.file);
    if (path === null) continue;
    const key = `${path}:${groupingName(frame.function)}`;
    if (out.at(-1)?.[0] !== key && out.push([key, path, frame]) === MAX_CONTRIBUTING) break;
  }
  return out;
}

/**
 * Groups an error. Components: the version, the error type, then
 * 1. the top in-app frames (the extension's own code), as Sentry's `app` variant does; or
 * 2. when none contribute, the top frames of any origin (libraries, the page), Sentry's `system`
 *    variant: a crash inside a library is still better told apart by where than by its message;
 * 3. when no frame contributes at all, the parameterised message and the surface. A failed
 *    promise-based `chrome.*` call rejects with a frameless `Error: No tab with id: 1842.`
 * (docs/architecture.md#chrome-field-notes), and the same message from the popup and from the
 * service
 *    worker are two call sites, so the surface stands in for the missing frames. With frames it
 *    would only split one bug shared by two surfaces, so it counts only here.
 * The message never counts while frames do (Sentry: "ignored because stacktrace takes
 * precedence", §3.5): it carries data (ids, property names) that the frames already locate.
 */
function group(
  input: FingerprintInput,
): [components: string[], frames: StackFrame[], top: Contribution[], message: string] {
  const frames = parseStack(input.stack ?? '');
  let top = contributing(frames, true);
  if (!top.length) top = contributing(frames, false);
  const message = parameterizeMessage(input.message);
  const components = [
    FINGERPRINT_VERSION,
    input.type,
    ...(top.length ? top.map(([key]) => key) : [message, input.surface]),
  ];
  return [components, frames, top, message];
}

/** `fp1:` and the first 128 bits of SHA-256 over `JSON.stringify(components)`, in hex. */
async function hash(components: string[]): Promise<string> {
  // JSON keeps the boundaries between components unambiguous whatever text they hold.
  const digest = await crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(JSON.stringify(components)),
  );
  const hex = Array.from(new Uint8Array(digest, 0, 16), (b) => b.toString(16).padStart(2, '0'));
  return `${FINGERPRINT_VERSION}:${hex.join('')}`;
}

/**
 * `computeFingerprint(input).fingerprint` alone: what the SDK needs before it sends an event,
 * without the title and culprit only the server keeps (and without their bytes in the SDK).
 */
export const fingerprintOf = async (input: FingerprintInput): Promise<string> =>
  hash(group(input)[0]);

/** Groups an error (see `group`) and describes the group. */
export async function computeFingerprint(input: FingerprintInput): Promise<FingerprintResult> {
  const [components, frames, top, message] = group(input);
  const first = message.split('\n')[0];
  const title = first ? `${input.type}: ${first}` : input.type;
  const culprit = top[0];
  return {
    fingerprint: await hash(components),
    components,
    frames,
    title: title.slice(0, 200),
    culprit: culprit ? `${culprit[2].function ?? '<anonymous>'} (${culprit[1]})` : null,
  };
}
