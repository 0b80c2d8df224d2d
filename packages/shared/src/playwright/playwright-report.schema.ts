import { z } from 'zod';

/**
 * The @playwright/test JSON reporter's output (`--reporter=json`), as `POST /v1/test-failures`
 * accepts it (issue 13, item 2). It mirrors the published declarations vendored in
 * `playwright-json-report.types.ts`, and a type test holds it to them: every report those types
 * allow must parse. Fields this server reads, and that every Playwright release since the JSON
 * reporter's current shape writes, are required; the rest are typed when present and optional,
 * so a report from an older Playwright (before `tags`, `projectId` or result `annotations`
 * existed) or one trimmed by `npm run report-tests` still passes. Unknown keys are stripped.
 *
 * Suites and error causes nest: the whole value's nesting depth is bounded before zod walks it,
 * so a crafted report cannot exhaust the stack (the body is already capped at 256 KiB).
 */

export const PLAYWRIGHT_REPORT_LIMITS = {
  /** Objects and arrays inside one another; real reports stay far below (describe blocks). */
  maxDepth: 64,
  text: 64 * 1024,
  title: 2_048,
  path: 4_096,
} as const;

const text = z.string().max(PLAYWRIGHT_REPORT_LIMITS.text);
const title = z.string().max(PLAYWRIGHT_REPORT_LIMITS.title);
const path = z.string().max(PLAYWRIGHT_REPORT_LIMITS.path);
const count = z.number().int().min(0);

export const PlaywrightTestStatusSchema = z.enum([
  'passed',
  'failed',
  'timedOut',
  'skipped',
  'interrupted',
]);

export const PlaywrightLocationSchema = z.object({ file: path, line: count, column: count });

const PlaywrightAnnotationSchema = z.object({
  type: title,
  description: text.optional(),
  location: PlaywrightLocationSchema.optional(),
});

export const PlaywrightTestErrorSchema = z.object({
  message: text.optional(),
  stack: text.optional(),
  value: text.optional(),
  snippet: text.optional(),
  location: PlaywrightLocationSchema.optional(),
  get cause() {
    return PlaywrightTestErrorSchema.optional();
  },
});
export type PlaywrightTestError = z.infer<typeof PlaywrightTestErrorSchema>;

const PlaywrightStdioSchema = z.union([z.object({ text }), z.object({ buffer: text })]);

const PlaywrightTestStepSchema = z.object({
  title,
  subtitle: title.optional(),
  duration: z.number(),
  error: PlaywrightTestErrorSchema.optional(),
  get steps() {
    return z.array(PlaywrightTestStepSchema).optional();
  },
});

export const PlaywrightTestResultSchema = z.object({
  status: PlaywrightTestStatusSchema.optional(),
  retry: count,
  duration: z.number(),
  startTime: z.string().max(64),
  error: PlaywrightTestErrorSchema.optional(),
  errors: z
    .array(z.object({ message: text, location: PlaywrightLocationSchema.optional() }))
    .optional(),
  errorLocation: PlaywrightLocationSchema.optional(),
  workerIndex: z.number().int().optional(),
  parallelIndex: z.number().int().optional(),
  shardIndex: z.number().int().optional(),
  stdout: z.array(PlaywrightStdioSchema).optional(),
  stderr: z.array(PlaywrightStdioSchema).optional(),
  steps: z.array(PlaywrightTestStepSchema).optional(),
  attachments: z
    .array(
      z.object({
        name: title,
        contentType: title,
        path: path.optional(),
        body: z.string().optional(),
      }),
    )
    .optional(),
  annotations: z.array(PlaywrightAnnotationSchema).optional(),
});
export type PlaywrightTestResult = z.infer<typeof PlaywrightTestResultSchema>;

export const PlaywrightTestSchema = z.object({
  projectName: title,
  projectId: title.optional(),
  status: z.enum(['skipped', 'expected', 'unexpected', 'flaky']),
  expectedStatus: PlaywrightTestStatusSchema,
  timeout: z.number().optional(),
  annotations: z.array(PlaywrightAnnotationSchema).optional(),
  results: z.array(PlaywrightTestResultSchema),
});

export const PlaywrightSpecSchema = z.object({
  id: title,
  title,
  file: path,
  line: count,
  column: count,
  ok: z.boolean(),
  tags: z.array(title).optional(),
  tests: z.array(PlaywrightTestSchema),
});
export type PlaywrightSpec = z.infer<typeof PlaywrightSpecSchema>;

export const PlaywrightSuiteSchema = z.object({
  title,
  file: path,
  line: count,
  column: count,
  specs: z.array(PlaywrightSpecSchema),
  get suites() {
    return z.array(PlaywrightSuiteSchema).optional();
  },
});
export type PlaywrightSuite = z.infer<typeof PlaywrightSuiteSchema>;

/** The report's shape without the depth guard: the type test holds it to the published types. */
export const PlaywrightReportShape = z.object({
  config: z.object({
    configFile: path.optional(),
    rootDir: path,
    version: z.string().max(64).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  }),
  suites: z.array(PlaywrightSuiteSchema),
  errors: z.array(PlaywrightTestErrorSchema).optional(),
  stats: z.object({
    startTime: z.string().max(64),
    duration: z.number().optional(),
    expected: count.optional(),
    unexpected: count.optional(),
    flaky: count.optional(),
    skipped: count.optional(),
  }),
});

/** Iterative, so that checking a deep value cannot itself overflow the stack. */
export function jsonDepthAtMost(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, depth] = item;
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= max) return false;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return true;
}

export const PlaywrightReportSchema = z
  .unknown()
  .refine((v) => jsonDepthAtMost(v, PLAYWRIGHT_REPORT_LIMITS.maxDepth), 'is nested too deeply')
  .pipe(PlaywrightReportShape);
export type PlaywrightReport = z.output<typeof PlaywrightReportSchema>;
