import type { Surface } from '@homeostat/shared';
import type { FixContext, ResolvedFrame } from '../../src/fix/fix.types.ts';
import { parses } from '../../src/fix/patterns/ast/parse-source.ts';

/**
 * FixContexts for the pattern library's tests, shaped as localize/ builds them: the scrubbed
 * event, in-app frames resolved to repository paths (innermost first), the files, and the
 * editable paths.
 */
export interface ContextInput {
  files: Record<string, string>;
  frames: { path: string; line: number; column?: number; function?: string }[];
  type: string;
  message: string;
  mechanism?: string;
  surface?: Surface;
  repo?: string;
  editable?: string[];
}

export function fixContext(input: ContextInput): FixContext {
  const frames: ResolvedFrame[] = input.frames.map((f) => ({
    function: f.function ?? null,
    path: f.path,
    line: f.line,
    column: f.column ?? null,
    via: 'source_map',
  }));
  return {
    repo: input.repo ?? 'acme/tab-tools',
    commitSha: '0123456789abcdef0123456789abcdef01234567',
    extensionId: 'abcdefghijklmnopabcdefghijklmnop',
    fingerprint: 'fp1:00000000000000000000000000000000',
    event: {
      type: input.type,
      message: input.message,
      stack: null,
      surface: input.surface ?? 'background',
      version: '1.4.0',
      ...(input.mechanism === undefined ? {} : { mechanism: input.mechanism }),
    },
    evidence: {
      title: `${input.type}: ${input.message}`,
      culprit: null,
      events: 12,
      installs: 4,
      versions: ['1.4.0'],
      surfaces: [input.surface ?? 'background'],
      firstSeen: 0,
      lastSeen: 0,
    },
    frames,
    culprit: frames[0] ?? null,
    files: Object.fromEntries(
      Object.entries(input.files).map(([path, content]) => [
        path,
        { path, content, blobSha: `blob-${path}`, role: 'frame' as const },
      ]),
    ),
    windows: [],
    editablePaths: input.editable ?? Object.keys(input.files),
  };
}

/** The context after a change: the same error against the changed files. */
export function withFiles(ctx: FixContext, changes: { path: string; after: string }[]): FixContext {
  const files = { ...ctx.files };
  for (const c of changes) {
    const file = files[c.path];
    if (file) files[c.path] = { ...file, content: c.after };
  }
  return { ...ctx, files };
}

/** `text` with the lines of a template literal's common indentation removed. */
export function code(strings: TemplateStringsArray, ...values: unknown[]): string {
  const raw = String.raw({ raw: strings }, ...values).replace(/^\n/, '');
  const indent = Math.min(
    ...raw
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => /^ */.exec(l)?.[0].length ?? 0),
  );
  return raw
    .split('\n')
    .map((l) => l.slice(indent))
    .join('\n')
    .replace(/[ \t]+$/, '');
}

export { parses };
