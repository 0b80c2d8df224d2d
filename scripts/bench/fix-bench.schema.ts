import { ExtensionVersionSchema, RepositoryConfigSchema, SurfaceSchema } from '@homeostat/shared';
import { z } from 'zod';

/**
 * One seeded bug of the fix bench (issue 9 item 8): `test/fixtures/fix-bench/<id>/bug.json`,
 * beside the extension repository it breaks. The error is written as Chrome reports it
 * (docs/architecture.md#chrome-field-notes): V8 frames into the files the extension loads, or no
 * frame at all for a failed `chrome.*` call.
 */

/**
 * The eight failure classes of the built-in patterns (issue 9 item 4 a–h), and `model-only` for
 * logic errors no pattern can fix. The pattern that should fix each class, in
 * workers/triage/src/fix/patterns/builtin-patterns.ts: optional-chain, json-parse-guard,
 * last-error-check, catch-receiving-end, catch-no-tab, storage-quota-fallback,
 * context-invalidated-guard, listener-rejection-catch.
 */
export const PATTERN_CLASSES = [
  'null-property-read',
  'json-parse-non-json',
  'unchecked-last-error',
  'receiving-end-missing',
  'no-tab-with-id',
  'storage-quota',
  'context-invalidated',
  'unawaited-listener-rejection',
] as const;
export type PatternClass = (typeof PATTERN_CLASSES)[number];

export const BugClassSchema = z.enum([...PATTERN_CLASSES, 'model-only']);
export type BugClass = z.infer<typeof BugClassSchema>;

/** Chrome's extension ids: 32 letters a–p. */
export const ExtensionIdSchema = z.string().regex(/^[a-p]{32}$/, 'must be 32 letters a-p');

/** A repository path: relative, '/'-separated, no '..', no leading '/' (fix.types.ts). */
export const RepoPathSchema = z
  .string()
  .min(1)
  .max(256)
  .refine(
    (p) =>
      !p.startsWith('/') &&
      !p.includes('\\') &&
      p.split('/').every((part) => part !== '' && part !== '.' && part !== '..'),
    'must be a relative repository path',
  );

/**
 * A V8 stack line as Chrome prints it for extension code: `    at fn (chrome-extension://id/p:L:C)`,
 * an anonymous frame without the parentheses, `at async …`, or a built-in (`at JSON.parse
 * (<anonymous>)`).
 */
const EXTENSION_FRAME =
  /^ {4}at (?:async )?(?:(?<fn>[^()]+) \()?chrome-extension:\/\/(?<ext>[a-p]{32})(?<path>\/[^:()\s]+):(?<line>\d+):(?<column>\d+)\)?$/;
const BUILTIN_FRAME = /^ {4}at (?:async )?[\w$.<>]+ \(<anonymous>\)$/;

export interface ExtensionFrame {
  function: string | null;
  extensionId: string;
  /** Package path, with its leading '/': what `sourceRoots[].from` matches. */
  packagePath: string;
  line: number;
  column: number;
}

/** The extension frames of a Chrome stack, innermost first (built-ins left out). */
export function extensionFrames(stack: string, header: string): ExtensionFrame[] {
  const frames: ExtensionFrame[] = [];
  for (const line of stack.slice(header.length).split('\n').slice(1)) {
    const groups = EXTENSION_FRAME.exec(line)?.groups;
    if (!groups) continue;
    frames.push({
      function: groups.fn ?? null,
      extensionId: groups.ext ?? '',
      packagePath: groups.path ?? '',
      line: Number(groups.line),
      column: Number(groups.column),
    });
  }
  return frames;
}

const ErrorSchema = z
  .strictObject({
    type: z.string().min(1).max(200),
    message: z
      .string()
      .min(1)
      .max(8 * 1024),
    stack: z
      .string()
      .min(1)
      .max(32 * 1024),
  })
  .superRefine((error, ctx) => {
    // The first line(s) of a V8 stack: "Type: message", where a message may span lines.
    const header = `${error.type}: ${error.message}`;
    if (!error.stack.startsWith(header)) {
      ctx.addIssue({ code: 'custom', path: ['stack'], message: 'must start with "type: message"' });
      return;
    }
    const rest = error.stack.slice(header.length);
    if (rest !== '' && !rest.startsWith('\n')) {
      ctx.addIssue({ code: 'custom', path: ['stack'], message: 'frames must follow the header' });
      return;
    }
    const lines = rest.split('\n').slice(1);
    for (const [i, line] of lines.entries()) {
      if (!EXTENSION_FRAME.test(line) && !BUILTIN_FRAME.test(line)) {
        ctx.addIssue({
          code: 'custom',
          path: ['stack'],
          message: `frame ${i + 1} is not a V8 frame of an extension file or a built-in`,
        });
      }
    }
  });

const SourceRootsSchema = RepositoryConfigSchema.shape.sourceRoots;
const PathsSchema = RepositoryConfigSchema.shape.paths;

export const FixBenchBugSchema = z
  .strictObject({
    /** The fixture's directory name. */
    id: z
      .string()
      .max(64)
      .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be kebab-case'),
    title: z.string().min(1).max(200),
    class: BugClassSchema,
    surface: SurfaceSchema,
    /** The id in the stack's frame URLs. */
    extensionId: ExtensionIdSchema,
    extensionVersion: ExtensionVersionSchema,
    /** The extension loads a committed esbuild build (dist/, with .map files) made by build.mjs. */
    bundled: z.boolean(),
    error: ErrorSchema,
    /** Where the fix belongs (any one of them will do): the localization hit rate's answer. */
    expectedFiles: z.array(RepoPathSchema).min(1).max(10),
    /**
     * The scripted correct model answer: SEARCH/REPLACE blocks
     * (docs/architecture.md#model-output-format).
     */
    modelAnswer: z
      .string()
      .min(1)
      .max(64 * 1024),
    sourceRoots: SourceRootsSchema,
    paths: PathsSchema,
  })
  .superRefine((bug, ctx) => {
    const header = `${bug.error.type}: ${bug.error.message}`;
    if (!bug.error.stack.startsWith(header)) return;
    for (const frame of extensionFrames(bug.error.stack, header)) {
      if (frame.extensionId !== bug.extensionId) {
        ctx.addIssue({
          code: 'custom',
          path: ['error', 'stack'],
          message: 'every frame must name the bug extensionId',
        });
        return;
      }
    }
  });

export type FixBenchBug = z.infer<typeof FixBenchBugSchema>;
