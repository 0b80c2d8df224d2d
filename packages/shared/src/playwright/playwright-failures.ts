import { INGEST_LIMITS, type IngestEvent, IngestEventSchema } from '../wire/ingest.schema.ts';
import type {
  PlaywrightReport,
  PlaywrightSpec,
  PlaywrightSuite,
  PlaywrightTestError,
} from './playwright-report.schema.ts';

/**
 * A Playwright JSON report's failed tests as events of Homeostat's pipeline (issue 13, item 2):
 * one event per test whose outcome is `unexpected` and whose last run failed or timed out — a
 * flaky test (failed, then passed on retry) is not a failure. The surface is `test`.
 *
 * Grouping needs care that production errors do not: a failed assertion has no frame in the
 * extension, and its stack holds absolute paths of the CI machine. So paths under the project's
 * root become relative, Playwright's repeated copy of a page's frames is dropped, and one last
 * frame names the test itself (`at <describe › title> (tests/x.spec.ts:12:3)`): two different
 * tests never share a problem, and the same test groups alike on every machine. When the error
 * was thrown by the extension's code (a `page.evaluate` into an extension page), its
 * `chrome-extension://` frames come first and make it a fix candidate like any production error.
 */

export interface TestFailure {
  /** File, describe blocks, test title. */
  titlePath: string[];
  spec: PlaywrightSpec;
  projectName: string;
  projectId: string | null;
  status: 'failed' | 'timedOut';
  retry: number;
  startTime: string;
  error: PlaywrightTestError | undefined;
}

export function collectTestFailures(report: PlaywrightReport): TestFailure[] {
  const failures: TestFailure[] = [];
  const visit = (suite: PlaywrightSuite, path: string[]) => {
    const here = suite.title === '' ? path : [...path, suite.title];
    for (const spec of suite.specs) {
      for (const test of spec.tests) {
        if (test.status !== 'unexpected') continue;
        const last = test.results.at(-1);
        if (last?.status !== 'failed' && last?.status !== 'timedOut') continue;
        failures.push({
          titlePath: [...here, spec.title],
          spec,
          projectName: test.projectName,
          projectId: test.projectId ?? null,
          status: last.status,
          retry: last.retry,
          startTime: last.startTime,
          error: last.error,
        });
      }
    }
    for (const child of suite.suites ?? []) visit(child, here);
  };
  for (const suite of report.suites) visit(suite, []);
  return failures;
}

const COMMIT = /^[0-9a-f]{7,64}$/i;

/**
 * The commit the report was run on: Playwright's `captureGitInfo` (on by default in CI) writes
 * `metadata.gitCommit.hash`, and its CI detection `metadata.ci.commitHash` (playwright 1.65.1,
 * lib/runner: gitCommitInfoPlugin).
 */
export function reportCommit(report: PlaywrightReport): string | null {
  const metadata = report.config.metadata ?? {};
  const git = metadata.gitCommit as { hash?: unknown } | undefined;
  const ci = metadata.ci as { commitHash?: unknown } | undefined;
  for (const candidate of [git?.hash, ci?.commitHash]) {
    if (typeof candidate === 'string' && COMMIT.test(candidate)) return candidate.toLowerCase();
  }
  return null;
}

export function isCommitSha(value: string): boolean {
  return COMMIT.test(value);
}

// CSI sequences (colours) as Playwright's terminal-oriented messages carry them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is the point.
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max);
}

/**
 * `Error: page.evaluate: TypeError: x is undefined` is the page's TypeError wrapped by a
 * Playwright call; the production SDK would report it as that TypeError, so it is unwrapped.
 */
function typeAndMessage(failure: TestFailure, error: PlaywrightTestError | undefined) {
  const first = (error?.message ?? error?.value ?? '').replace(ANSI, '').split('\n', 1)[0] ?? '';
  let type = failure.status === 'timedOut' ? 'TestTimeout' : 'TestFailure';
  let message = first.trim();
  const typed = /^((?:[A-Za-z_$][\w$]{0,99})?(?:Error|Exception)): (.*)$/.exec(message);
  if (typed?.[1] !== undefined && typed[2] !== undefined) {
    type = typed[1];
    message = typed[2];
    const wrapped =
      /^[a-z][\w$]{0,60}(?:\.[\w$]{1,60}){1,3}: ((?:[A-Za-z_$][\w$]{0,99})?(?:Error|Exception)): (.*)$/.exec(
        message,
      );
    if (wrapped?.[1] !== undefined && wrapped[2] !== undefined) {
      type = wrapped[1];
      message = wrapped[2];
    }
  }
  return { type: clip(type, INGEST_LIMITS.type), message: clip(message, INGEST_LIMITS.message) };
}

/** The directory paths in stacks are made relative to: the config file's, else the test dir. */
function projectRoot(report: PlaywrightReport): string {
  const file = report.config.configFile;
  if (file) {
    const cut = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
    if (cut > 0) return file.slice(0, cut);
  }
  return report.config.rootDir;
}

function relative(root: string, path: string): string {
  for (const sep of ['/', '\\']) {
    if (path.startsWith(root + sep)) return path.slice(root.length + 1).replaceAll('\\', '/');
  }
  return path;
}

/** Frame lines of a stack, with a repeated leading block (Playwright's page frames) dropped. */
function frameLines(stack: string, root: string): string[] {
  const frames = stack
    .replace(ANSI, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at '))
    .slice(0, 100)
    .map((l) => `    ${l.replaceAll(`${root}/`, '').replaceAll(`${root}\\`, '')}`);
  for (let k = Math.floor(frames.length / 2); k > 0; k--) {
    const a = frames.slice(0, k).join('\n');
    if (a === frames.slice(k, 2 * k).join('\n'))
      return [...frames.slice(0, k), ...frames.slice(2 * k)];
  }
  return frames;
}

function testFrame(report: PlaywrightReport, root: string, failure: TestFailure): string {
  const specFile = relative(root, `${report.config.rootDir}/${failure.spec.file}`);
  const name = failure.titlePath
    .slice(1)
    .join(' › ')
    .replace(/[\r\n()]/g, ' ')
    .slice(0, 200);
  return `    at ${name} (${specFile}:${failure.spec.line}:${failure.spec.column})`;
}

async function eventIdOf(report: PlaywrightReport, failure: TestFailure): Promise<string> {
  // Stable per report and test: posting the same report again yields duplicates, not new events.
  const key = [
    report.stats.startTime,
    failure.projectId ?? failure.projectName,
    failure.spec.id,
    failure.titlePath.join('\0'),
  ].join('\0');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key));
  return `pw-${Array.from(new Uint8Array(digest, 0, 20), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export interface TestFailureEvents {
  events: IngestEvent[];
  /** All failures in the report; more than `INGEST_LIMITS.maxEvents` are not sent. */
  failures: number;
}

export async function testFailureEvents(
  report: PlaywrightReport,
  commit: string | null,
): Promise<TestFailureEvents> {
  const failures = collectTestFailures(report);
  const root = projectRoot(report);
  const events: IngestEvent[] = [];
  for (const failure of failures.slice(0, INGEST_LIMITS.maxEvents)) {
    const { error } = failure;
    const { type, message } = typeAndMessage(failure, error);
    const frames = [...frameLines(error?.stack ?? '', root), testFrame(report, root, failure)];
    const lines = [`${type}: ${message.split('\n', 1)[0]}`];
    let size = lines[0]?.length ?? 0;
    for (const frame of frames) {
      if (size + frame.length + 1 > INGEST_LIMITS.stack) break;
      lines.push(frame);
      size += frame.length + 1;
    }
    const started = Date.parse(failure.startTime);
    const candidate = {
      eventId: await eventIdOf(report, failure),
      timestamp: Number.isFinite(started) && started >= 0 ? started : Date.now(),
      surface: 'test' as const,
      error: { type, message, stack: lines.join('\n') },
      tags: {
        source: 'playwright',
        project: clip(failure.projectName || 'default', INGEST_LIMITS.tagValue),
        ...(commit ? { commit } : {}),
      },
      context: {
        source: 'playwright',
        test: {
          titlePath: failure.titlePath.map((t) => clip(t, 256)).slice(0, 20),
          file: clip(relative(root, `${report.config.rootDir}/${failure.spec.file}`), 512),
          line: failure.spec.line,
          column: failure.spec.column,
          project: clip(failure.projectName, 256),
          status: failure.status,
          retry: failure.retry,
          commit,
          ...(failure.spec.tags?.length
            ? { tags: failure.spec.tags.slice(0, 20).map((t) => clip(t, 64)) }
            : {}),
          ...(report.config.version ? { playwright: report.config.version } : {}),
          ...(error?.location
            ? {
                errorLocation: {
                  file: clip(relative(root, error.location.file), 512),
                  line: error.location.line,
                  column: error.location.column,
                },
              }
            : {}),
        },
      },
    };
    // Every field is clipped to its limit above; should one still not fit, the context goes.
    const parsed = IngestEventSchema.safeParse(candidate);
    events.push(
      parsed.success ? parsed.data : IngestEventSchema.parse({ ...candidate, context: undefined }),
    );
  }
  return { events, failures: failures.length };
}
