import { spawn } from 'node:child_process';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { writeCommitTree } from './directory-repo.ts';
import type { CheckRunInput, GitHubEmulator, WorkflowInput } from './github-emulator.ts';
import type { CheckRunState } from './github-objects.ts';
import { type NodeTestReport, parseNodeTestOutput, withoutRoots } from './node-test-output.ts';
import type { EmulatorEvent } from './webhook-payloads.ts';

/**
 * The GitHub emulator's CI (issue 10, item 7): GitHub Actions for the local loop. When a pull
 * request is opened, reopened or synchronized (or a branch with an open pull request is pushed),
 * it writes the head commit's tree to a temp directory, runs the repository's real test command
 * there (`scripts.test` of its package.json, with the Node that runs this process first on PATH),
 * and reports the result as GitHub Actions does: a check run of the Actions app, queued →
 * in_progress → completed with a conclusion, a title, a summary, the output's tail and
 * annotations at the failing lines, in a check suite that is a workflow run. The emulator fires
 * the `check_run`, `check_suite` and `workflow_run` webhooks on the way. Runs go one at a time;
 * a new head does not cancel the old one, whose result is still reported on its own SHA (without
 * the pull request, whose head moved on), as GitHub does without a concurrency group.
 */

export interface LocalCiOptions {
  /** The check run's name (the job's): what `requiredChecks` names. Default 'test'. */
  checkName?: string;
  workflow?: { name: string; path: string };
  /** Wall-clock limit of one run; the process group is killed after it. Default 60 s. */
  timeoutMs?: number;
  /** Annotations kept per run (GitHub takes 50 per request). Default 50. */
  maxAnnotations?: number;
  /** Output kept per run (its tail). Default 1 MiB. */
  maxOutputBytes?: number;
  /** Also set a commit status with the check's name as context (CIs on the Statuses API). */
  commitStatus?: boolean;
  /** Only these repositories (owner/name); default every repository of the emulator. */
  repos?: readonly string[];
  /** Extra environment for the test command (the rest is PATH, HOME, CI=true). */
  env?: Record<string, string>;
  /** Keep the checkouts for inspection instead of deleting them. */
  keepWorkdirs?: boolean;
}

export type CiTrigger = 'pull_request' | 'push' | 'manual';
export type CiConclusion = 'success' | 'failure' | 'timed_out';

export interface CiRun {
  slug: string;
  headSha: string;
  trigger: CiTrigger;
  checkRunId: number;
  conclusion: CiConclusion;
  exitCode: number | null;
  /** performance.now() when the runner took it and when it reported. */
  startedAt: number;
  finishedAt: number;
  durationMs: number;
  /** What the command printed (stdout and stderr interleaved), checkout paths made relative. */
  output: string;
  report: NodeTestReport;
  title: string;
  summary: string;
  workdir: string | null;
}

/** GitHub caps a check run's `output.summary` and `output.text` at 65,535 characters. */
const MAX_OUTPUT_FIELD = 65_535;
const ANNOTATIONS_PER_REQUEST = 50;

interface Job {
  slug: string;
  headSha: string;
  trigger: CiTrigger;
  run: Promise<CheckRunState>;
}

async function testScript(dir: string): Promise<string | null> {
  try {
    const pkg: unknown = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    const script =
      typeof pkg === 'object' && pkg !== null && 'scripts' in pkg
        ? (pkg.scripts as Record<string, unknown> | null)?.test
        : undefined;
    return typeof script === 'string' && script.trim() !== '' ? script : null;
  } catch {
    return null;
  }
}

interface Execution {
  exitCode: number | null;
  timedOut: boolean;
  output: string;
}

function execute(
  script: string,
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
  maxBytes: number,
): Promise<Execution> {
  return new Promise((done) => {
    // Its own process group, so a timeout kills whatever the script started too.
    const child = spawn(script, { cwd, env, shell: true, detached: true, stdio: 'pipe' });
    child.stdin.end();
    let chunks: Buffer[] = [];
    let size = 0;
    const keep = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size > maxBytes * 2) {
        const all = Buffer.concat(chunks);
        chunks = [all.subarray(all.byteLength - maxBytes)];
        size = maxBytes;
      }
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    const finish = (exitCode: number | null) => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      done({
        exitCode,
        timedOut,
        output: all.subarray(Math.max(0, all.byteLength - maxBytes)).toString('utf8'),
      });
    };
    child.on('error', () => finish(null));
    child.on('close', (code) => finish(code));
  });
}

function fence(text: string): string {
  const tail = text.length > MAX_OUTPUT_FIELD - 100 ? text.slice(-(MAX_OUTPUT_FIELD - 100)) : text;
  return `\`\`\`\n${tail.replace(/```/g, "'''")}\n\`\`\``;
}

export class LocalCi {
  readonly runs: CiRun[] = [];
  readonly #emulator: GitHubEmulator;
  readonly #options: Required<
    Pick<
      LocalCiOptions,
      'checkName' | 'workflow' | 'timeoutMs' | 'maxAnnotations' | 'maxOutputBytes'
    >
  > &
    LocalCiOptions;
  /** Head SHAs already run or queued, per repository: a push and its synchronize run once. */
  readonly #requested = new Set<string>();
  #chain: Promise<unknown> = Promise.resolve();
  #unsubscribe: (() => void) | null = null;

  constructor(emulator: GitHubEmulator, options: LocalCiOptions = {}) {
    this.#emulator = emulator;
    this.#options = {
      ...options,
      checkName: options.checkName ?? 'test',
      workflow: options.workflow ?? { name: 'CI', path: '.github/workflows/ci.yml' },
      timeoutMs: options.timeoutMs ?? 60_000,
      maxAnnotations: options.maxAnnotations ?? ANNOTATIONS_PER_REQUEST,
      maxOutputBytes: options.maxOutputBytes ?? 1024 * 1024,
    };
  }

  /** Starts listening to the emulator; returns `this`. */
  start(): this {
    this.#unsubscribe ??= this.#emulator.onEvent((event) => this.#onEvent(event));
    return this;
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  /** Runs the tests on `headSha` (again, if it ran already), like "Re-run jobs". */
  request(slug: string, headSha: string, trigger: CiTrigger = 'manual'): Promise<CiRun> {
    this.#requested.add(`${slug.toLowerCase()}@${headSha}`);
    const workflow: WorkflowInput = { ...this.#options.workflow, event: trigger };
    const job: Job = {
      slug,
      headSha,
      trigger,
      // Queued at once (outside the change that triggered it, so its webhooks follow that
      // change's own), even while another run holds the runner.
      run: Promise.resolve().then(() =>
        this.#emulator.createCheckRun(
          slug,
          { name: this.#options.checkName, headSha, status: 'queued', workflow },
          this.#emulator.actionsApp,
        ),
      ),
    };
    const result = this.#chain.then(() => this.#run(job));
    this.#chain = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every queued run, including ones queued meanwhile, has reported. */
  async idle(): Promise<void> {
    let seen: Promise<unknown>;
    do {
      seen = this.#chain;
      await seen;
    } while (seen !== this.#chain);
  }

  #onEvent(event: EmulatorEvent): void {
    const repos = this.#options.repos?.map((r) => r.toLowerCase());
    if (repos !== undefined && !repos.includes(event.repo.toLowerCase())) return;
    const p = event.payload;
    let headSha: string | undefined;
    let trigger: CiTrigger | undefined;
    if (event.name === 'pull_request') {
      const action = String(p.action);
      if (action === 'opened' || action === 'reopened' || action === 'synchronize') {
        headSha = (p.pull_request as { head: { sha: string } }).head.sha;
        trigger = 'pull_request';
      }
    } else if (event.name === 'push' && p.deleted !== true) {
      const ref = String(p.ref);
      const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
      if (branch !== null && this.#emulator.openPullsWithHead(event.repo, branch).length > 0) {
        headSha = String(p.after);
        trigger = 'push';
      }
    }
    if (headSha === undefined || trigger === undefined) return;
    if (this.#requested.has(`${event.repo.toLowerCase()}@${headSha}`)) return;
    void this.request(event.repo, headSha, trigger).catch(() => undefined);
  }

  async #run(job: Job): Promise<CiRun> {
    const { slug, headSha } = job;
    const o = this.#options;
    const check = await job.run;
    const started = performance.now();
    this.#emulator.updateCheckRun(slug, check.id, { status: 'in_progress' });
    if (o.commitStatus === true) {
      this.#emulator.setCommitStatus(
        slug,
        headSha,
        { state: 'pending', context: o.checkName, description: 'Running the tests' },
        this.#emulator.actionsApp,
      );
    }
    const workdir = await mkdtemp(join(tmpdir(), 'homeostat-ci-'));
    const roots = [...new Set([workdir, await realpath(workdir)])];
    let execution: Execution;
    let script: string | null = null;
    try {
      await writeCommitTree(this.#emulator, slug, headSha, workdir);
      script = await testScript(workdir);
      execution =
        script === null
          ? { exitCode: 1, timedOut: false, output: 'npm error Missing script: "test"\n' }
          : await execute(
              script,
              workdir,
              {
                // The Node running the CI is the project's Node 22 (the machine's may be older).
                PATH: [
                  dirname(process.execPath),
                  join(workdir, 'node_modules', '.bin'),
                  process.env.PATH ?? '',
                ].join(delimiter),
                HOME: process.env.HOME ?? workdir,
                TMPDIR: tmpdir(),
                CI: 'true',
                NO_COLOR: '1',
                ...o.env,
              },
              o.timeoutMs,
              o.maxOutputBytes,
            );
    } catch (err) {
      // The runner itself failed (checkout, spawn): GitHub reports such a job as failed too.
      execution = {
        exitCode: null,
        timedOut: false,
        output: `runner error: ${err instanceof Error ? err.message : String(err)}\n`,
      };
    } finally {
      if (o.keepWorkdirs !== true) await rm(workdir, { recursive: true, force: true });
    }
    const output = withoutRoots(execution.output, roots);
    const report = parseNodeTestOutput(execution.output, roots);
    const conclusion: CiConclusion = execution.timedOut
      ? 'timed_out'
      : execution.exitCode === 0
        ? 'success'
        : 'failure';
    const durationMs = Math.round(performance.now() - started);
    const c = report.counts;
    const title = execution.timedOut
      ? `Timed out after ${o.timeoutMs / 1000} s`
      : script === null
        ? 'No test script in package.json'
        : c === null
          ? conclusion === 'success'
            ? 'Tests passed'
            : `Tests failed (exit code ${execution.exitCode ?? 'none'})`
          : c.fail > 0
            ? `${c.fail} of ${c.tests} tests failed`
            : conclusion === 'success'
              ? `${c.tests} tests passed`
              : `Tests failed (exit code ${execution.exitCode ?? 'none'})`;
    const failures = report.failures
      .map((f) => `- ${f.path === null ? '' : `\`${f.path}:${f.line}\` `}${f.name}`)
      .slice(0, 20);
    const summary = [
      `**${title}**`,
      '',
      `\`${script ?? 'npm test'}\` on \`${headSha.slice(0, 7)}\`, ${(durationMs / 1000).toFixed(1)} s` +
        (c === null ? '' : `: ${c.pass} passed, ${c.fail} failed of ${c.tests}`),
      ...(failures.length > 0 ? ['', ...failures] : []),
    ]
      .join('\n')
      .slice(0, MAX_OUTPUT_FIELD);
    const annotations = report.failures
      .flatMap((f) =>
        f.path === null || f.line === null
          ? []
          : [
              {
                path: f.path,
                startLine: f.line,
                endLine: f.line,
                level: 'failure' as const,
                message: f.message,
                title: f.name,
              },
            ],
      )
      .slice(0, o.maxAnnotations);
    const output1 = { title, summary, text: fence(output) };
    const batches: CheckRunInput['output'][] = [];
    for (let i = 0; i < annotations.length; i += ANNOTATIONS_PER_REQUEST) {
      batches.push({ ...output1, annotations: annotations.slice(i, i + ANNOTATIONS_PER_REQUEST) });
    }
    // Every batch but the last goes as its own update; the last completes the run.
    for (const batch of batches.slice(0, -1)) {
      this.#emulator.updateCheckRun(slug, check.id, { output: batch });
    }
    this.#emulator.updateCheckRun(slug, check.id, {
      conclusion,
      output: batches.at(-1) ?? output1,
    });
    if (o.commitStatus === true) {
      this.#emulator.setCommitStatus(
        slug,
        headSha,
        {
          state: conclusion === 'success' ? 'success' : 'failure',
          context: o.checkName,
          description: title.slice(0, 140),
        },
        this.#emulator.actionsApp,
      );
    }
    const run: CiRun = {
      slug,
      headSha,
      trigger: job.trigger,
      checkRunId: check.id,
      conclusion,
      exitCode: execution.exitCode,
      startedAt: started,
      finishedAt: performance.now(),
      durationMs,
      output,
      report,
      title,
      summary,
      workdir: o.keepWorkdirs === true ? workdir : null,
    };
    this.runs.push(run);
    return run;
  }
}
