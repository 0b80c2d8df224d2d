import { env } from 'cloudflare:workers';
import { describe, inject, test } from 'vitest';
import { OpenApiValidator } from '../../../../test/emulators/github/openapi-validator.ts';
import { fixBranchName } from '../../src/fix/pr/fix-branch.ts';
import { gitBlobSha } from '../../src/fix/pr/git-object-hash.ts';
import {
  markReadyForReview,
  recordMergeCall,
  requestReview,
} from '../../src/fix/pr/pull-request-actions.ts';
import { writeFixPullRequest } from '../../src/fix/pr/pull-request-writer.ts';
import { listOutbox } from '../../src/outbox/outbox.ts';
import {
  dryRunDeps,
  modelCandidate,
  POPUP_AFTER,
  patternCandidate,
  prInput,
  UTIL_BEFORE,
  uniqueRepo,
} from './pr-support.ts';

const validator = new OpenApiValidator(inject('githubOpenApi'));
const BASE = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

async function outboxOf(repo: string) {
  return (await listOutbox(env.DB, { limit: 1000, repo: repo.toLowerCase() })).filter((e) =>
    e.purpose.startsWith('fix_'),
  );
}

/** Every recorded request must be one GitHub would accept, placeholders standing for ids. */
function violations(entries: Awaited<ReturnType<typeof outboxOf>>) {
  return entries.flatMap(
    (e) =>
      validator.checkRequest(
        e.method,
        e.path.replace('{pull_number}', '7').replace('{issue_number}', '7'),
        new URLSearchParams(),
        e.body ?? undefined,
      ).violations,
  );
}

describe('fix pull requests in dry-run mode (no token: the outbox)', () => {
  test('the exact branch, tree with git blob ids, commit message and draft PR are recorded once', async ({
    expect,
  }) => {
    const { deps } = dryRunDeps();
    const repo = uniqueRepo();
    const utilAfter = `${UTIL_BEFORE}export const one = 1;\n`;
    const input = prInput(repo, BASE, {
      issue: { kind: 'pending', key: 'issue-outbox-key-1' },
      candidate: patternCandidate(POPUP_AFTER, utilAfter),
    });
    const result = await writeFixPullRequest(deps, input);
    const branch = fixBranchName(input.key.fingerprint);
    expect(result).toMatchObject({ outcome: 'created', mode: 'dry-run', branch, githubCalls: 0 });
    if (result.outcome !== 'created') throw new Error('unreachable');
    expect(result.pr.kind).toBe('pending');
    expect(result.headSha).toMatch(/^outbox:fix-pr:.*:a1:commit$/);

    const entries = await outboxOf(repo.slug);
    expect(
      entries.map(
        (e) => `${e.purpose} ${e.method} ${e.path.replace(/^\/repos\/[^/]+\/[^/]+/, '')}`,
      ),
    ).toEqual([
      'fix_create_blob POST /git/blobs',
      'fix_create_blob POST /git/blobs',
      'fix_create_tree POST /git/trees',
      'fix_create_commit POST /git/commits',
      'fix_create_branch POST /git/refs',
      'fix_create_pull POST /pulls',
      'fix_add_labels POST /issues/{pull_number}/labels',
    ]);
    const [blob1, blob2, tree, commit, ref, pull, labels] = entries;
    expect(blob1?.body).toEqual({ content: POPUP_AFTER, encoding: 'utf-8' });
    expect(blob2?.body).toEqual({ content: utilAfter, encoding: 'utf-8' });
    // Blob ids as git computes them: `git hash-object` of the same bytes.
    expect(await gitBlobSha('hello\n')).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    expect(tree?.body).toEqual({
      base_tree: '{base_tree}',
      tree: [
        { path: 'src/popup.js', mode: '100644', type: 'blob', sha: await gitBlobSha(POPUP_AFTER) },
        { path: 'src/util.js', mode: '100644', type: 'blob', sha: await gitBlobSha(utilAfter) },
      ],
    });
    expect(commit).toMatchObject({
      dependsOn: tree?.key,
      body: {
        tree: '{tree_sha}',
        parents: [BASE],
        message: expect.stringMatching(
          /^fix: TypeError: Cannot read properties of undefined \(reading 'id'\)\n\nRead `user\.id`/,
        ),
      },
    });
    expect(ref).toMatchObject({
      dependsOn: commit?.key,
      body: { ref: `refs/heads/${branch}`, sha: '{commit_sha}' },
    });
    expect(pull).toMatchObject({
      dependsOn: 'issue-outbox-key-1',
      body: {
        head: branch,
        base: 'main',
        draft: true,
        title: "Fix TypeError: Cannot read properties of undefined (reading 'id')",
        body: expect.stringContaining('Fixes #{issue_number}'),
      },
    });
    expect(JSON.stringify(pull?.body)).toContain('Pattern `optional-read`');
    expect(labels).toMatchObject({ dependsOn: pull?.key, body: { labels: input.labels } });
    expect(violations(entries)).toEqual([]);

    // Redelivery records nothing twice and reports the attempt as already written.
    expect((await writeFixPullRequest(deps, input)).outcome).toBe('unchanged');
    expect(await outboxOf(repo.slug)).toHaveLength(entries.length);
  });

  test('a retry records the forced branch update and the in-place PR update; merge and review are recorded', async ({
    expect,
  }) => {
    const { deps, clock } = dryRunDeps();
    const repo = uniqueRepo();
    const input = prInput(repo, BASE);
    const one = await writeFixPullRequest(deps, input);
    if (one.outcome !== 'created') throw new Error(one.outcome);
    const before = (await outboxOf(repo.slug)).length;
    const two = await writeFixPullRequest(deps, {
      ...input,
      attempt: 2,
      candidate: modelCandidate(POPUP_AFTER.replace('null', '0')),
    });
    expect(two).toMatchObject({ outcome: 'updated', pr: one.pr });
    const added = (await outboxOf(repo.slug)).slice(before);
    expect(added.map((e) => `${e.method} ${e.path.replace(/^\/repos\/[^/]+\/[^/]+/, '')}`)).toEqual(
      [
        'POST /git/blobs',
        'POST /git/trees',
        'POST /git/commits',
        `PATCH /git/refs/heads/homeostat/fix-${input.key.fingerprint.slice(4, 16)}`,
        'PATCH /pulls/{pull_number}',
        'POST /issues/{pull_number}/labels',
      ],
    );
    expect(added[3]?.body).toEqual({ sha: '{commit_sha}', force: true });
    expect(added[4]).toMatchObject({
      dependsOn: one.pr.kind === 'pending' ? one.pr.key : '',
      body: { body: expect.stringContaining('Attempt 2 of 3') },
    });

    const merge = await recordMergeCall(
      env.DB,
      { repo: repo.slug, pr: one.pr, sha: 'f'.repeat(40) },
      clock.now(),
    );
    expect(merge.outcome).toBe('recorded');
    await recordMergeCall(
      env.DB,
      { repo: repo.slug, pr: one.pr, sha: 'f'.repeat(40) },
      clock.now(),
    );
    const review = await requestReview(deps, { repo: repo.slug, pr: one.pr, reviewers: ['alice'] });
    expect(review).toBe('recorded');
    const headSha = two.outcome === 'updated' ? two.headSha : '';
    const ready = await markReadyForReview(deps, { repo: repo.slug, pr: one.pr, headSha });
    const readyKey = `ready:${repo.slug.toLowerCase()}:${one.pr.kind === 'pending' ? one.pr.key : ''}:${headSha}`;
    expect(ready).toEqual({ outcome: 'recorded', key: readyKey });
    // A redelivery records nothing twice: the key is stable.
    expect(await markReadyForReview(deps, { repo: repo.slug, pr: one.pr, headSha })).toEqual(ready);
    const tail = (await outboxOf(repo.slug)).slice(before + added.length);
    expect(
      tail.map((e) => `${e.purpose} ${e.method} ${e.path.replace(/^\/repos\/[^/]+\/[^/]+/, '')}`),
    ).toEqual([
      'fix_merge PUT /pulls/{pull_number}/merge',
      'fix_request_review POST /pulls/{pull_number}/requested_reviewers',
      'fix_mark_ready POST /graphql',
    ]);
    expect(tail[0]?.body).toEqual({ sha: 'f'.repeat(40), merge_method: 'squash' });
    // The exact GraphQL request, the PR's id standing for the node_id of the PR it would open.
    expect(tail[2]).toMatchObject({
      key: readyKey,
      dependsOn: one.pr.kind === 'pending' ? one.pr.key : '',
      body: {
        query:
          'mutation MarkReady($id: ID!) { markPullRequestReadyForReview(input: {pullRequestId: $id}) { pullRequest { id number isDraft } } }',
        variables: { id: '{pull_node_id}' },
      },
    });
    // GraphQL is not in GitHub's REST description: every other entry is held to it.
    expect(violations([...added, ...tail.slice(0, 2)])).toEqual([]);
  });
});
