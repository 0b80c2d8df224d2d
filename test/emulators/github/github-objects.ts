import type { CommitObject, GitActor } from './git-store.ts';

/**
 * The emulator's state records and their rendering into GitHub's REST representations. Every
 * field the OpenAPI description marks required is present (the validator enforces it), with URLs
 * built the way GitHub builds them from the API and web base URLs.
 */

export interface Urls {
  /** e.g. https://api.github.com (or https://ghe.example/api/v3). */
  api: string;
  /** e.g. https://github.com */
  html: string;
}

export interface UserState {
  id: number;
  login: string;
  type: 'User' | 'Bot' | 'Organization';
}

export interface LabelState {
  id: number;
  name: string;
  color: string;
  description: string | null;
  default: boolean;
}

export interface IssueState {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  stateReason: 'completed' | 'reopened' | 'not_planned' | 'duplicate' | null;
  labels: string[]; // names, case preserved as created on the repository
  user: UserState;
  closedBy: UserState | null;
  locked: boolean;
  comments: number;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  /** Set when this issue number belongs to a pull request (GitHub numbers them together). */
  pullRequest: boolean;
}

export interface CommentState {
  id: number;
  issueNumber: number;
  body: string;
  user: UserState;
  authorAssociation: AuthorAssociation;
  createdAt: string;
  updatedAt: string;
}

export type AuthorAssociation =
  | 'OWNER'
  | 'MEMBER'
  | 'COLLABORATOR'
  | 'CONTRIBUTOR'
  | 'FIRST_TIMER'
  | 'FIRST_TIME_CONTRIBUTOR'
  | 'MANNEQUIN'
  | 'NONE';

export interface PullState {
  id: number;
  number: number;
  head: string; // branch name
  base: string;
  draft: boolean;
  /** Users asked for a review (POST …/requested_reviewers). */
  requestedReviewers?: UserState[];
  merged: boolean;
  mergedAt: string | null;
  mergedBy: UserState | null;
  mergeCommitSha: string | null;
}

export interface CheckRunState {
  id: number;
  suiteId: number;
  name: string;
  headSha: string;
  status: 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
  conclusion:
    | 'success'
    | 'failure'
    | 'neutral'
    | 'cancelled'
    | 'skipped'
    | 'timed_out'
    | 'action_required'
    | null;
  startedAt: string | null;
  completedAt: string | null;
  externalId: string | null;
  detailsUrl: string | null;
  title: string | null;
  summary: string | null;
  text?: string | null;
  /** Appended by every create/update that sends `output.annotations`, as GitHub does. */
  annotations?: CheckAnnotationState[];
  /** The app that owns the run (default: the token's account); the local CI is github-actions. */
  app?: UserState;
}

export interface CheckAnnotationState {
  path: string;
  startLine: number;
  endLine: number;
  level: 'notice' | 'warning' | 'failure';
  message: string;
  title: string | null;
  rawDetails: string | null;
}

/** A GitHub Actions workflow run, which GitHub models as one check suite of the Actions app. */
export interface WorkflowState {
  id: number;
  name: string;
  path: string;
  runId: number;
  runNumber: number;
  event: string;
  runStartedAt: string;
  /** Who triggered the run (the pusher, the pull request's author). */
  actor: UserState;
  /** The commit message's first line or the pull request's title. */
  displayTitle: string;
}

export interface CommitStatusState {
  id: number;
  sha: string;
  state: 'error' | 'failure' | 'pending' | 'success';
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: UserState;
  createdAt: string;
  updatedAt: string;
}

export interface CheckSuiteState {
  id: number;
  headSha: string;
  headBranch: string | null;
  createdAt: string;
  updatedAt: string;
  app?: UserState;
  workflow?: WorkflowState;
}

export interface RepoState {
  id: number;
  owner: UserState;
  name: string;
  defaultBranch: string;
  createdAt: string;
}

const EPOCH = '2026-01-01T00:00:00Z';

function nodeId(kind: string, id: number | string): string {
  return btoa(`${kind}:${id}`);
}

/** A pull request's GraphQL global id (REST `node_id`; GitHub's look like `PR_kwDO…`). */
export function pullNodeId(p: PullState): string {
  return nodeId('PullRequest', p.id);
}

export function userObject(u: UserState, urls: Urls) {
  const api = `${urls.api}/users/${u.login}`;
  return {
    login: u.login,
    id: u.id,
    node_id: nodeId('User', u.id),
    avatar_url: `${urls.html}/avatars/u/${u.id}`,
    gravatar_id: '',
    url: api,
    html_url: `${urls.html}/${u.login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: u.type,
    site_admin: false,
  };
}

/**
 * The GraphQL endpoint for an API base URL: `<api>/graphql` on GitHub.com, but `<host>/api/graphql`
 * on GitHub Enterprise Server, whose REST lives at `<host>/api/v3` (the replacement
 * @octokit/graphql makes, and the Worker's client: workers/triage/src/github/github-client.ts).
 */
export function graphqlUrl(api: string): string {
  const base = api.replace(/\/$/, '');
  return /\/api\/v3$/.test(base) ? base.replace(/\/api\/v3$/, '/api/graphql') : `${base}/graphql`;
}

export function repoUrls(r: RepoState, urls: Urls) {
  const fullName = `${r.owner.login}/${r.name}`;
  return { api: `${urls.api}/repos/${fullName}`, html: `${urls.html}/${fullName}`, fullName };
}

export function repositoryObject(r: RepoState, urls: Urls, openIssues: number) {
  const { api, html, fullName } = repoUrls(r, urls);
  return {
    id: r.id,
    node_id: nodeId('Repository', r.id),
    name: r.name,
    full_name: fullName,
    owner: userObject(r.owner, urls),
    private: false,
    html_url: html,
    description: null,
    fork: false,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_url: `git://github.com/${fullName}.git`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    ssh_url: `git@github.com:${fullName}.git`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    clone_url: `${html}.git`,
    mirror_url: null,
    hooks_url: `${api}/hooks`,
    svn_url: html,
    homepage: null,
    language: 'JavaScript',
    forks_count: 0,
    forks: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: 1,
    default_branch: r.defaultBranch,
    open_issues_count: openIssues,
    open_issues: openIssues,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    archived: false,
    disabled: false,
    visibility: 'public',
    pushed_at: r.createdAt,
    created_at: r.createdAt,
    updated_at: r.createdAt,
    license: null,
    web_commit_signoff_required: false,
    custom_properties: {},
  };
}

export function labelObject(l: LabelState, r: RepoState, urls: Urls) {
  return {
    id: l.id,
    node_id: nodeId('Label', l.id),
    url: `${repoUrls(r, urls).api}/labels/${encodeURIComponent(l.name)}`,
    name: l.name,
    description: l.description,
    color: l.color,
    default: l.default,
  };
}

export function issueObject(
  i: IssueState,
  r: RepoState,
  labels: LabelState[],
  urls: Urls,
  extra: { pullRequest?: { mergedAt: string | null; draft?: boolean } } = {},
) {
  const { api, html } = repoUrls(r, urls);
  const self = `${api}/issues/${i.number}`;
  return {
    id: i.id,
    node_id: nodeId('Issue', i.id),
    url: self,
    repository_url: api,
    labels_url: `${self}/labels{/name}`,
    comments_url: `${self}/comments`,
    events_url: `${self}/events`,
    html_url: `${html}/${i.pullRequest ? 'pull' : 'issues'}/${i.number}`,
    number: i.number,
    state: i.state,
    state_reason: i.stateReason,
    title: i.title,
    body: i.body,
    user: userObject(i.user, urls),
    labels: labels.map((l) => labelObject(l, r, urls)),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: i.locked,
    active_lock_reason: null,
    comments: i.comments,
    closed_at: i.closedAt,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
    closed_by: i.closedBy === null ? null : userObject(i.closedBy, urls),
    author_association: 'NONE',
    timeline_url: `${self}/timeline`,
    draft: extra.pullRequest?.draft ?? false,
    reactions: {
      url: `${self}/reactions`,
      total_count: 0,
      '+1': 0,
      '-1': 0,
      laugh: 0,
      hooray: 0,
      confused: 0,
      heart: 0,
      rocket: 0,
      eyes: 0,
    },
    ...(extra.pullRequest === undefined
      ? {}
      : {
          pull_request: {
            url: `${api}/pulls/${i.number}`,
            html_url: `${html}/pull/${i.number}`,
            diff_url: `${html}/pull/${i.number}.diff`,
            patch_url: `${html}/pull/${i.number}.patch`,
            merged_at: extra.pullRequest.mergedAt,
          },
        }),
  };
}

export function commentObject(c: CommentState, r: RepoState, urls: Urls) {
  const { api, html } = repoUrls(r, urls);
  return {
    id: c.id,
    node_id: nodeId('IssueComment', c.id),
    url: `${api}/issues/comments/${c.id}`,
    html_url: `${html}/issues/${c.issueNumber}#issuecomment-${c.id}`,
    issue_url: `${api}/issues/${c.issueNumber}`,
    body: c.body,
    user: userObject(c.user, urls),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    author_association: c.authorAssociation,
  };
}

function gitActor(a: GitActor) {
  return { name: a.name, email: a.email, date: a.date };
}

export function gitCommitObject(c: CommitObject, r: RepoState, urls: Urls) {
  const { api, html } = repoUrls(r, urls);
  return {
    sha: c.sha,
    node_id: nodeId('Commit', c.sha),
    url: `${api}/git/commits/${c.sha}`,
    html_url: `${html}/commit/${c.sha}`,
    author: gitActor(c.author),
    committer: gitActor(c.committer),
    message: c.message,
    tree: { sha: c.tree, url: `${api}/git/trees/${c.tree}` },
    parents: c.parents.map((p) => ({
      sha: p,
      url: `${api}/git/commits/${p}`,
      html_url: `${html}/commit/${p}`,
    })),
    verification: {
      verified: false,
      reason: 'unsigned',
      signature: null,
      payload: null,
      verified_at: null,
    },
  };
}

/** The `commit` schema (REST "commits" API), as `POST /merges` answers. */
export function commitObject(c: CommitObject, r: RepoState, urls: Urls) {
  const { api, html } = repoUrls(r, urls);
  return {
    url: `${api}/commits/${c.sha}`,
    sha: c.sha,
    node_id: nodeId('Commit', c.sha),
    html_url: `${html}/commit/${c.sha}`,
    comments_url: `${api}/commits/${c.sha}/comments`,
    commit: {
      url: `${api}/git/commits/${c.sha}`,
      author: gitActor(c.author),
      committer: gitActor(c.committer),
      message: c.message,
      comment_count: 0,
      tree: { sha: c.tree, url: `${api}/git/trees/${c.tree}` },
    },
    author: null,
    committer: null,
    parents: c.parents.map((p) => ({
      sha: p,
      url: `${api}/commits/${p}`,
      html_url: `${html}/commit/${p}`,
    })),
  };
}

export function refObject(ref: string, sha: string, r: RepoState, urls: Urls) {
  const { api } = repoUrls(r, urls);
  return {
    ref,
    node_id: nodeId('Ref', ref),
    url: `${api}/git/${ref}`,
    object: { type: 'commit', sha, url: `${api}/git/commits/${sha}` },
  };
}

function minimalRepo(r: RepoState, urls: Urls) {
  const { api } = repoUrls(r, urls);
  return { id: r.id, url: api, name: r.name };
}

export function pullObject(
  p: PullState,
  issue: IssueState,
  r: RepoState,
  labels: LabelState[],
  headSha: string,
  baseSha: string,
  urls: Urls,
  openIssues: number,
) {
  const { api, html } = repoUrls(r, urls);
  const self = `${api}/pulls/${p.number}`;
  const repo = repositoryObject(r, urls, openIssues);
  const side = (ref: string, sha: string) => ({
    label: `${r.owner.login}:${ref}`,
    ref,
    sha,
    user: userObject(r.owner, urls),
    repo,
  });
  return {
    url: self,
    id: p.id,
    node_id: pullNodeId(p),
    html_url: `${html}/pull/${p.number}`,
    diff_url: `${html}/pull/${p.number}.diff`,
    patch_url: `${html}/pull/${p.number}.patch`,
    issue_url: `${api}/issues/${p.number}`,
    commits_url: `${self}/commits`,
    review_comments_url: `${self}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${p.number}/comments`,
    statuses_url: `${api}/statuses/${headSha}`,
    number: p.number,
    state: issue.state,
    locked: issue.locked,
    title: issue.title,
    user: userObject(issue.user, urls),
    body: issue.body,
    labels: labels.map((l) => labelObject(l, r, urls)),
    milestone: null,
    active_lock_reason: null,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_at: issue.closedAt,
    merged_at: p.mergedAt,
    merge_commit_sha: p.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: (p.requestedReviewers ?? []).map((u) => userObject(u, urls)),
    requested_teams: [],
    head: side(p.head, headSha),
    base: side(p.base, baseSha),
    _links: {
      self: { href: self },
      html: { href: `${html}/pull/${p.number}` },
      issue: { href: `${api}/issues/${p.number}` },
      comments: { href: `${api}/issues/${p.number}/comments` },
      review_comments: { href: `${self}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${self}/commits` },
      statuses: { href: `${api}/statuses/${headSha}` },
    },
    author_association: 'NONE',
    auto_merge: null,
    draft: p.draft,
    merged: p.merged,
    mergeable: p.merged ? null : true,
    rebaseable: p.merged ? null : true,
    mergeable_state: p.merged ? 'unknown' : 'clean',
    merged_by: p.mergedBy === null ? null : userObject(p.mergedBy, urls),
    comments: issue.comments,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 0,
    deletions: 0,
    changed_files: 0,
  };
}

export function appObject(app: UserState, urls: Urls) {
  return {
    id: app.id,
    slug: app.login.replace(/\[bot\]$/, ''),
    node_id: nodeId('App', app.id),
    owner: userObject(app, urls),
    name: app.login.replace(/\[bot\]$/, ''),
    description: null,
    external_url: `${urls.html}/apps/${app.login}`,
    html_url: `${urls.html}/apps/${app.login}`,
    created_at: EPOCH,
    updated_at: EPOCH,
    permissions: { checks: 'write', contents: 'read', metadata: 'read' },
    events: ['check_run', 'check_suite'],
  };
}

function pullMinimal(p: PullState, r: RepoState, headSha: string, baseSha: string, urls: Urls) {
  return {
    id: p.id,
    number: p.number,
    url: `${repoUrls(r, urls).api}/pulls/${p.number}`,
    head: { ref: p.head, sha: headSha, repo: minimalRepo(r, urls) },
    base: { ref: p.base, sha: baseSha, repo: minimalRepo(r, urls) },
  };
}

export interface PullForCheck {
  pull: PullState;
  headSha: string;
  baseSha: string;
}

export function checkRunObject(
  c: CheckRunState,
  r: RepoState,
  app: UserState,
  pulls: PullForCheck[],
  urls: Urls,
) {
  const { api, html } = repoUrls(r, urls);
  return {
    id: c.id,
    head_sha: c.headSha,
    node_id: nodeId('CheckRun', c.id),
    external_id: c.externalId,
    url: `${api}/check-runs/${c.id}`,
    html_url: `${html}/runs/${c.id}`,
    details_url: c.detailsUrl,
    status: c.status,
    conclusion: c.conclusion,
    started_at: c.startedAt,
    completed_at: c.completedAt,
    output: {
      title: c.title,
      summary: c.summary,
      text: c.text ?? null,
      annotations_count: c.annotations?.length ?? 0,
      annotations_url: `${api}/check-runs/${c.id}/annotations`,
    },
    name: c.name,
    check_suite: { id: c.suiteId },
    app: appObject(app, urls),
    pull_requests: pulls.map((p) => pullMinimal(p.pull, r, p.headSha, p.baseSha, urls)),
  };
}

export function annotationObject(a: CheckAnnotationState) {
  return {
    path: a.path,
    start_line: a.startLine,
    end_line: a.endLine,
    start_column: null,
    end_column: null,
    annotation_level: a.level,
    title: a.title,
    message: a.message,
    raw_details: a.rawDetails,
    blob_href: '',
  };
}

export function commitStatusObject(s: CommitStatusState, r: RepoState, urls: Urls) {
  return {
    url: `${repoUrls(r, urls).api}/statuses/${s.sha}`,
    avatar_url: null,
    id: s.id,
    node_id: nodeId('StatusContext', s.id),
    state: s.state,
    description: s.description,
    target_url: s.targetUrl,
    context: s.context,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    creator: userObject(s.creator, urls),
  };
}

export function checkSuiteObject(
  s: CheckSuiteState,
  runs: CheckRunState[],
  head: CommitObject | undefined,
  r: RepoState,
  app: UserState,
  pulls: PullForCheck[],
  urls: Urls,
  openIssues: number,
) {
  const { api } = repoUrls(r, urls);
  const completed = runs.length > 0 && runs.every((c) => c.status === 'completed');
  const conclusions = runs.map((c) => c.conclusion);
  const conclusion = !completed
    ? null
    : conclusions.includes('failure')
      ? 'failure'
      : conclusions.includes('cancelled')
        ? 'cancelled'
        : 'success';
  const repo = repositoryObject(r, urls, openIssues);
  return {
    id: s.id,
    node_id: nodeId('CheckSuite', s.id),
    head_branch: s.headBranch,
    head_sha: s.headSha,
    status: runs.length === 0 ? 'queued' : completed ? 'completed' : 'in_progress',
    conclusion,
    url: `${api}/check-suites/${s.id}`,
    before: null,
    after: s.headSha,
    pull_requests: pulls.map((p) => pullMinimal(p.pull, r, p.headSha, p.baseSha, urls)),
    app: appObject(app, urls),
    repository: repo,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    head_commit: {
      id: s.headSha,
      tree_id: head?.tree ?? s.headSha,
      message: head?.message ?? '',
      timestamp: head?.committer.date ?? s.createdAt,
      author: head === undefined ? null : { name: head.author.name, email: head.author.email },
      committer:
        head === undefined ? null : { name: head.committer.name, email: head.committer.email },
    },
    latest_check_runs_count: runs.length,
    check_runs_url: `${api}/check-suites/${s.id}/check-runs`,
    rerequestable: true,
    runs_rerequestable: true,
  };
}
