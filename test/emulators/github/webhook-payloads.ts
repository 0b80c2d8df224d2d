import type { CommitObject } from './git-store.ts';
import {
  type CheckRunState,
  type CheckSuiteState,
  checkRunObject,
  checkSuiteObject,
  type PullForCheck,
  type RepoState,
  repositoryObject,
  repoUrls,
  type Urls,
  type UserState,
  userObject,
  type WorkflowState,
} from './github-objects.ts';

/**
 * The webhook-only shapes of the GitHub emulator (issue 10, item 7): what GitHub sends when state
 * changes, built from the same state records as the REST answers (github-objects.ts). Shapes follow
 * the real deliveries of `@octokit/webhooks-examples`; a test holds every payload to the keys of
 * the example of its event and action (test/emulators/github/webhooks.test.ts). No Node APIs: the
 * emulator runs in workerd too.
 */

/** What `X-GitHub-Event` names; the actions each one carries are in the payload. */
export type WebhookEventName =
  | 'check_run'
  | 'check_suite'
  | 'issue_comment'
  | 'issues'
  | 'pull_request'
  | 'push'
  | 'status'
  | 'workflow_run';

export interface EmulatorEvent {
  name: WebhookEventName;
  /** `owner/name` of the repository the event is about. */
  repo: string;
  payload: Record<string, unknown>;
}

export type EmulatorEventListener = (event: EmulatorEvent) => void;

/** `before` of a push that creates a ref and `after` of one that deletes it. */
export const ZERO_SHA = '0'.repeat(40);

/** GitHub lists at most 20 commits in a push payload (docs: "push" webhook, `commits`). */
export const PUSH_COMMITS_LIMIT = 20;

function nodeId(kind: string, id: number | string): string {
  return btoa(`${kind}:${id}`);
}

function unixSeconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

/** The `organization` block GitHub adds when the repository belongs to an organization. */
export function organizationObject(org: UserState, urls: Urls) {
  const api = `${urls.api}/orgs/${org.login}`;
  return {
    login: org.login,
    id: org.id,
    node_id: nodeId('Organization', org.id),
    url: api,
    repos_url: `${api}/repos`,
    events_url: `${api}/events`,
    hooks_url: `${api}/hooks`,
    issues_url: `${api}/issues`,
    members_url: `${api}/members{/member}`,
    public_members_url: `${api}/public_members{/member}`,
    avatar_url: `${urls.html}/avatars/u/${org.id}`,
    description: null,
  };
}

/** Deliveries to a GitHub App name the installation they are for. */
export function installationObject(id: number) {
  return { id, node_id: nodeId('Installation', id) };
}

/** The push event's repository: a few legacy fields, and times as Unix seconds. */
export function pushRepositoryObject(r: RepoState, urls: Urls, openIssues: number) {
  const repo = repositoryObject(r, urls, openIssues);
  return {
    ...repo,
    owner: { ...repo.owner, name: r.owner.login, email: null },
    created_at: unixSeconds(r.createdAt),
    pushed_at: unixSeconds(r.createdAt),
    stargazers: 0,
    master_branch: r.defaultBranch,
  };
}

export interface CommitChanges {
  added: string[];
  removed: string[];
  modified: string[];
}

export function pushCommitObject(
  c: CommitObject,
  r: RepoState,
  urls: Urls,
  changes: CommitChanges,
  distinct: boolean,
) {
  const person = (a: CommitObject['author']) => ({
    name: a.name,
    email: a.email,
    // GitHub adds `username` when the email belongs to an account; the emulator's authors are
    // named by their login.
    username: a.name,
  });
  return {
    id: c.sha,
    tree_id: c.tree,
    distinct,
    message: c.message,
    timestamp: c.committer.date,
    url: `${repoUrls(r, urls).html}/commit/${c.sha}`,
    author: person(c.author),
    committer: person(c.committer),
    added: changes.added,
    removed: changes.removed,
    modified: changes.modified,
  };
}

/** The check run as a `check_run` delivery has it: its suite is inlined, not just an id. */
export function checkRunWebhookObject(
  run: CheckRunState,
  suite: CheckSuiteState,
  suiteRuns: CheckRunState[],
  head: CommitObject | undefined,
  r: RepoState,
  app: UserState,
  pulls: PullForCheck[],
  urls: Urls,
  openIssues: number,
) {
  const {
    repository: _repository,
    head_commit: _head,
    ...suiteFields
  } = checkSuiteObject(suite, suiteRuns, head, r, suite.app ?? app, pulls, urls, openIssues);
  return { ...checkRunObject(run, r, app, pulls, urls), check_suite: suiteFields };
}

export function workflowObject(w: WorkflowState, r: RepoState, urls: Urls, createdAt: string) {
  const { api, html } = repoUrls(r, urls);
  return {
    badge_url: `${html}/workflows/${encodeURIComponent(w.name)}/badge.svg`,
    created_at: createdAt,
    html_url: `${html}/blob/${r.defaultBranch}/${w.path}`,
    id: w.id,
    name: w.name,
    node_id: nodeId('Workflow', w.id),
    path: w.path,
    state: 'active',
    updated_at: createdAt,
    url: `${api}/actions/workflows/${w.id}`,
  };
}

export function workflowRunObject(
  suite: CheckSuiteState & { workflow: WorkflowState },
  suiteRuns: CheckRunState[],
  head: CommitObject | undefined,
  r: RepoState,
  app: UserState,
  pulls: PullForCheck[],
  urls: Urls,
  openIssues: number,
) {
  const { api, html } = repoUrls(r, urls);
  const s = checkSuiteObject(suite, suiteRuns, head, r, app, pulls, urls, openIssues);
  const w = suite.workflow;
  const self = `${api}/actions/runs/${w.runId}`;
  const repo = repositoryObject(r, urls, openIssues);
  return {
    artifacts_url: `${self}/artifacts`,
    cancel_url: `${self}/cancel`,
    check_suite_id: suite.id,
    check_suite_node_id: s.node_id,
    check_suite_url: s.url,
    conclusion: s.conclusion,
    actor: userObject(w.actor, urls),
    triggering_actor: userObject(w.actor, urls),
    display_title: w.displayTitle,
    created_at: suite.createdAt,
    event: w.event,
    head_branch: suite.headBranch,
    head_commit: s.head_commit,
    head_repository: repo,
    head_sha: suite.headSha,
    html_url: `${html}/actions/runs/${w.runId}`,
    id: w.runId,
    jobs_url: `${self}/jobs`,
    logs_url: `${self}/logs`,
    name: w.name,
    node_id: nodeId('WorkflowRun', w.runId),
    path: w.path,
    previous_attempt_url: null,
    pull_requests: s.pull_requests,
    repository: repo,
    rerun_url: `${self}/rerun`,
    run_attempt: 1,
    run_number: w.runNumber,
    run_started_at: w.runStartedAt,
    status: s.status,
    updated_at: suite.updatedAt,
    url: self,
    workflow_id: w.id,
    workflow_url: `${api}/actions/workflows/${w.id}`,
  };
}

/** The `commit` block of a `status` delivery (the REST "commit" schema, author as a user). */
export function statusCommitObject(
  c: CommitObject,
  r: RepoState,
  urls: Urls,
  author: ReturnType<typeof userObject> | null,
) {
  const { api, html } = repoUrls(r, urls);
  return {
    sha: c.sha,
    node_id: nodeId('Commit', c.sha),
    commit: {
      author: c.author,
      committer: c.committer,
      message: c.message,
      tree: { sha: c.tree, url: `${api}/git/trees/${c.tree}` },
      url: `${api}/git/commits/${c.sha}`,
      comment_count: 0,
      verification: {
        verified: false,
        reason: 'unsigned',
        signature: null,
        payload: null,
      },
    },
    url: `${api}/commits/${c.sha}`,
    html_url: `${html}/commit/${c.sha}`,
    comments_url: `${api}/commits/${c.sha}/comments`,
    author,
    committer: author,
    parents: c.parents.map((p) => ({
      sha: p,
      url: `${api}/commits/${p}`,
      html_url: `${html}/commit/${p}`,
    })),
  };
}
